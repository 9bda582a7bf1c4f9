package submitter

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/statefile"
)

// sentStateFile is the file in the state directory that remembers what was broadcast at each
// nonce not yet known to be mined, so that a restart prices its replacement above it.
const sentStateFile = "sent-transactions.json"

// attempt is one transaction broadcast at a nonce.
type attempt struct {
	// ID finds the transaction again: its hash for a local signer, the Fireblocks transaction id
	// for Fireblocks.
	ID string `json:"id"`
	// Work identifies what the transaction does (its destination and calldata): two attempts
	// with the same work are interchangeable, one mined is the other done.
	Work   common.Hash `json:"work"`
	Tip    *big.Int    `json:"tip"`
	FeeCap *big.Int    `json:"fee_cap"`
	At     time.Time   `json:"at"`
	// Dead: Fireblocks cancelled, rejected or failed it; it will never be mined.
	Dead bool `json:"dead,omitempty"`
}

// nonceRecord is what was broadcast at one nonce.
type nonceRecord struct {
	// Tip and FeeCap are the highest of each broadcast at this nonce, or that the pool said it
	// holds there (a replacement refused as underpriced): a replacement must beat both by 12.5%.
	Tip    *big.Int `json:"tip"`
	FeeCap *big.Int `json:"fee_cap"`
	// Attempts are the transactions broadcast at this nonce, oldest first.
	Attempts []attempt `json:"attempts"`
}

// fees are the prices a replacement must beat.
func (r *nonceRecord) fees() fees { return fees{Tip: r.Tip, FeeCap: r.FeeCap} }

// raise records that something priced at f sits in the pool at this nonce.
func (r *nonceRecord) raise(f fees) {
	if r.Tip == nil || f.Tip.Cmp(r.Tip) > 0 {
		r.Tip = new(big.Int).Set(f.Tip)
	}
	if r.FeeCap == nil || f.FeeCap.Cmp(r.FeeCap) > 0 {
		r.FeeCap = new(big.Int).Set(f.FeeCap)
	}
}

// live are the attempts that may still be mined.
func (r *nonceRecord) live() []*attempt {
	var out []*attempt
	for i := range r.Attempts {
		if !r.Attempts[i].Dead {
			out = append(out, &r.Attempts[i])
		}
	}
	return out
}

// last is the latest live attempt, nil if none.
func (r *nonceRecord) last() *attempt {
	l := r.live()
	if len(l) == 0 {
		return nil
	}
	return l[len(l)-1]
}

// sentState is the file's content.
type sentState struct {
	ChainID uint64                  `json:"chain_id"`
	Sender  common.Address          `json:"sender"`
	Nonces  map[uint64]*nonceRecord `json:"nonces"`
}

// loadSent reads the records of dir for sender on chainID. A missing file is an empty record; a
// corrupt one, or one of another sender or chain, is an error the caller logs and goes on
// without: the pool's "replacement transaction underpriced" then teaches the price instead.
func loadSent(dir string, chainID uint64, sender common.Address) (map[uint64]*nonceRecord, error) {
	out := map[uint64]*nonceRecord{}
	if dir == "" {
		return out, nil
	}
	path := filepath.Join(dir, sentStateFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("read %s: %w", path, err)
	}
	var st sentState
	if err := json.Unmarshal(raw, &st); err != nil {
		return out, fmt.Errorf("parse %s: %w", path, err)
	}
	if st.ChainID != chainID || st.Sender != sender {
		return out, fmt.Errorf("%s is for sender %s on chain %d, not %s on chain %d", path, st.Sender, st.ChainID, sender, chainID)
	}
	for n, r := range st.Nonces {
		if r == nil || r.Tip == nil || r.FeeCap == nil {
			return map[uint64]*nonceRecord{}, fmt.Errorf("parse %s: nonce %d has no fees", path, n)
		}
		out[n] = r
	}
	return out, nil
}

// saveSent writes the records atomically (see statefile.Write).
func saveSent(dir string, st sentState) error {
	if dir == "" {
		return nil
	}
	raw, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode sent transactions: %w", err)
	}
	if err := statefile.Write(dir, sentStateFile, raw); err != nil {
		return fmt.Errorf("write sent transactions: %w", err)
	}
	return nil
}
