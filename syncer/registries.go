package syncer

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/registry"
)

// RegistryFollower is a reader that re-reads the registry addresses from the RegistryCoordinator
// and reads the registries there from then on: a coordinator that looks its registries up in an
// address directory (EigenDA's) can move them while the daemon runs.
type RegistryFollower interface {
	Contracts() registry.Contracts
	Registries(ctx context.Context, block uint64) (registry.Registries, error)
	SetRegistries(regs registry.Registries) bool
}

// StakeRegistryWatcher is a source that can move its log filter to another StakeRegistry.
type StakeRegistryWatcher interface {
	SetStakeRegistry(addr common.Address)
}

// followRegistries re-reads the registry addresses at head and, if they moved, makes the reader
// and the source follow them, with one line; every operator is then checked once, as after a
// change of the AVS address. A reader that cannot follow is left as it is.
func (s *Syncer) followRegistries(ctx context.Context, head uint64) error {
	r := Reader(s.reader)
	if rr, ok := r.(*retryReader); ok {
		r = rr.r
	}
	f, ok := r.(RegistryFollower)
	if !ok {
		return nil
	}
	before := f.Contracts()
	regs, err := f.Registries(ctx, head)
	if err != nil {
		return fmt.Errorf("read registry addresses at block %d: %w", head, err)
	}
	if !f.SetRegistries(regs) {
		return nil
	}
	if w, ok := s.src.(StakeRegistryWatcher); ok && regs.StakeRegistry != before.StakeRegistry {
		w.SetStakeRegistry(regs.StakeRegistry)
	}
	s.changes.avs = true
	s.log.Warn("the registry coordinator points at other registries; reading and watching them from now on",
		"stake_registry", regs.StakeRegistry, "was_stake_registry", before.StakeRegistry,
		"index_registry", regs.IndexRegistry, "was_index_registry", before.IndexRegistry, "block", head)
	return nil
}
