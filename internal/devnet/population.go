package devnet

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
)

// Group is a set of operators registered with the AVS in the same quorums.
type Group struct {
	Count   int
	Quorums []uint8
}

// Population describes an AVS with many operators, for load and scale tests.
type Population struct {
	// Quorums is how many quorums the AVS has; missing ones are created (total delegated stake over
	// the mock strategy, minimum stake 0) by the owner, key 0.
	Quorums int
	// Groups are the operators registered with the AVS, in key order from the first key.
	Groups []Group
	// Outsiders are EigenLayer operators, with stake, that are not registered with the AVS.
	Outsiders int
	// Stake is the deposit of the i-th operator (registered first, then outsiders) before it
	// registers with the AVS, so that its stored stake starts equal to its weight; nil deposits
	// nothing.
	Stake func(i int) *big.Int
	// Concurrency bounds the operators set up at once (default 32): each waits for its own
	// receipts, so the bound keeps the node's load from receipt polling in check.
	Concurrency int
}

// Size is the number of funded keys the population uses.
func (p Population) Size() int {
	n := p.Outsiders
	for _, g := range p.Groups {
		n += g.Count
	}
	return n
}

// Member is a registered operator of a population.
type Member struct {
	*Actor
	// Quorums are the quorums it registered in.
	Quorums []uint8
}

// Populated is a population set up on the devnet. The caller closes it.
type Populated struct {
	Registered []Member
	Outsiders  []*Actor
}

// Close releases every actor's connection.
func (p *Populated) Close() {
	for _, m := range p.Registered {
		m.Close()
	}
	for _, a := range p.Outsiders {
		a.Close()
	}
}

// Populate creates the missing quorums, then makes funded keys first .. first+p.Size()-1
// EigenLayer operators with their Stake deposited, and registers the Groups' operators with the
// AVS in their quorums. Outsiders follow the registered operators in key order.
func (d *Devnet) Populate(ctx context.Context, first int, p Population) (*Populated, error) {
	if first < 0 || first+p.Size() > len(d.keys) {
		return nil, fmt.Errorf("populate keys %d..%d: the devnet has %d funded keys", first, first+p.Size()-1, len(d.keys))
	}
	if err := d.ensureQuorums(ctx, p.Quorums); err != nil {
		return nil, err
	}
	type job struct {
		key     int
		quorums []uint8 // nil: an outsider
	}
	var jobs []job
	for _, g := range p.Groups {
		for range g.Count {
			jobs = append(jobs, job{first + len(jobs), g.Quorums})
		}
	}
	for range p.Outsiders {
		jobs = append(jobs, job{first + len(jobs), nil})
	}
	actors := make([]*Actor, len(jobs))
	errs := make([]error, len(jobs))
	if p.Concurrency <= 0 {
		p.Concurrency = 32
	}
	sem := make(chan struct{}, p.Concurrency)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			var stake *big.Int
			if p.Stake != nil {
				stake = p.Stake(i)
			}
			actors[i], errs[i] = d.setUpOperator(ctx, j.key, stake, j.quorums)
		}()
	}
	wg.Wait()
	out := &Populated{}
	for i, a := range actors {
		if a == nil {
			continue
		}
		if jobs[i].quorums == nil {
			out.Outsiders = append(out.Outsiders, a)
		} else {
			out.Registered = append(out.Registered, Member{a, jobs[i].quorums})
		}
	}
	if err := errors.Join(errs...); err != nil {
		out.Close()
		return nil, fmt.Errorf("populate the AVS: %w", err)
	}
	return out, nil
}

// setUpOperator makes key an EigenLayer operator, deposits stake and, unless quorums is nil,
// registers it with the AVS in quorums.
func (d *Devnet) setUpOperator(ctx context.Context, key int, stake *big.Int, quorums []uint8) (*Actor, error) {
	a, err := d.Actor(ctx, key)
	if err != nil {
		return nil, err
	}
	err = a.RegisterOperator(ctx)
	if err == nil && stake != nil && stake.Sign() > 0 {
		_, err = a.Deposit(ctx, stake)
	}
	if err == nil && quorums != nil {
		err = a.RegisterWithAVS(ctx, quorums...)
	}
	if err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// ensureQuorums creates quorums until the AVS has n.
func (d *Devnet) ensureQuorums(ctx context.Context, n int) error {
	owner, err := d.Actor(ctx, 0)
	if err != nil {
		return err
	}
	defer owner.Close()
	count, err := owner.rc.QuorumCount(&bind.CallOpts{Context: ctx})
	if err != nil {
		return fmt.Errorf("read quorum count: %w", err)
	}
	for int(count) < n {
		q, err := owner.CreateQuorum(ctx, new(big.Int))
		if err != nil {
			return err
		}
		count = q + 1
	}
	return nil
}
