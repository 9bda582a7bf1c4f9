package registry

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Registries are the registry addresses the RegistryCoordinator points at. A coordinator that
// looks them up in an address directory (EigenDA's) can move them while the daemon runs.
type Registries struct {
	StakeRegistry, IndexRegistry common.Address
}

// Registries reads the registry addresses from the RegistryCoordinator at block (0 = the latest
// block), in one round trip.
func (r *Reader) Registries(ctx context.Context, block uint64) (Registries, error) {
	block, err := r.resolveBlock(ctx, block)
	if err != nil {
		return Registries{}, err
	}
	sr, ir := r.rc("stakeRegistry"), r.rc("indexRegistry")
	if err := r.batch.exec(ctx, []*call{sr, ir}, block); err != nil {
		return Registries{}, fmt.Errorf("read registry addresses at block %d: %w", block, err)
	}
	var out Registries
	if out.StakeRegistry, err = addressResult(sr); err != nil {
		return Registries{}, fmt.Errorf("read stake registry address at block %d: %w", block, err)
	}
	if out.IndexRegistry, err = addressResult(ir); err != nil {
		return Registries{}, fmt.Errorf("read index registry address at block %d: %w", block, err)
	}
	return out, nil
}

// SetRegistries makes the reader read the registries at regs from now on, and reports whether
// that changed anything. A zero address keeps the current one.
func (r *Reader) SetRegistries(regs Registries) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	if regs.StakeRegistry != (common.Address{}) && regs.StakeRegistry != r.c.StakeRegistry {
		r.c.StakeRegistry, changed = regs.StakeRegistry, true
	}
	if regs.IndexRegistry != (common.Address{}) && regs.IndexRegistry != r.c.IndexRegistry {
		r.c.IndexRegistry, changed = regs.IndexRegistry, true
	}
	return changed
}
