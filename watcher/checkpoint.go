package watcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"
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
	tmp, err := os.CreateTemp(dir, checkpointFile+".*.tmp")
	if err != nil {
		return fmt.Errorf("create temporary checkpoint: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write temporary checkpoint: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync temporary checkpoint: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temporary checkpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, checkpointFile)); err != nil {
		return fmt.Errorf("replace checkpoint: %w", err)
	}
	// The rename is durable only once the directory entry is.
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open state dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync state dir: %w", err)
	}
	return nil
}
