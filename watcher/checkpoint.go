package watcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/statefile"
)

// checkpointFile is the name of the checkpoint inside Config.StateDir.
const checkpointFile = "checkpoint.json"

// Checkpoint is the last block whose events were handed to the consumer: a restarted watcher
// resumes at Block+1, after checking that Hash is still canonical.
type Checkpoint struct {
	ChainID uint64      `json:"chain_id"`
	Block   uint64      `json:"block"`
	Hash    common.Hash `json:"hash"`
}

// LoadCheckpoint reads the checkpoint in dir. It reports false, without error, when there is
// none; a file that exists but cannot be read or decoded is an error, never silently ignored.
func LoadCheckpoint(dir string) (Checkpoint, bool, error) {
	path := filepath.Join(dir, checkpointFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("read checkpoint: %w", err)
	}
	var c Checkpoint
	if err := json.Unmarshal(raw, &c); err != nil {
		return Checkpoint{}, false, fmt.Errorf("checkpoint %s is corrupt: %w", path, err)
	}
	if c.ChainID == 0 || c.Hash == (common.Hash{}) {
		return Checkpoint{}, false, fmt.Errorf("checkpoint %s is corrupt: chain id or block hash missing", path)
	}
	return c, true, nil
}

// saveCheckpoint replaces the checkpoint in dir atomically: a crash leaves the old file or the
// new one, never a torn one.
func saveCheckpoint(dir string, c Checkpoint) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := statefile.Write(dir, checkpointFile, append(raw, '\n')); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}
