package devnet

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
)

// RegisterOperators makes funded keys first .. first+n-1 EigenLayer operators registered with the
// AVS in quorums, all at once (each key has its own nonces), and returns their actors in key
// order. The caller closes them.
func (d *Devnet) RegisterOperators(ctx context.Context, first, n int, quorums ...uint8) ([]*Actor, error) {
	if first < 0 || first+n > len(d.keys) {
		return nil, fmt.Errorf("register operators %d..%d: the devnet has %d funded keys", first, first+n-1, len(d.keys))
	}
	actors := make([]*Actor, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range actors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := d.Actor(ctx, first+i)
			if err != nil {
				errs[i] = err
				return
			}
			actors[i] = a
			if err := a.RegisterOperator(ctx); err != nil {
				errs[i] = err
				return
			}
			errs[i] = a.RegisterWithAVS(ctx, quorums...)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, a := range actors {
			if a != nil {
				a.Close()
			}
		}
		return nil, err
	}
	return actors, nil
}

// DepositAll deposits amount for each actor at once (see Actor.Deposit).
func DepositAll(ctx context.Context, actors []*Actor, amount *big.Int) error {
	errs := make([]error, len(actors))
	var wg sync.WaitGroup
	for i, a := range actors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = a.Deposit(ctx, amount)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
