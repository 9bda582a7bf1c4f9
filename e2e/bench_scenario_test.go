package e2e

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"sync"

	delegationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/DelegationManager"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// stepKind is what one step of a scenario does.
type stepKind string

const (
	// stepOutsiderDeposit: an EigenLayer operator not registered with the AVS deposits.
	stepOutsiderDeposit stepKind = "outsider_deposit"
	// stepDeposit and stepWithdrawal move a registered operator's shares up or down.
	stepDeposit    stepKind = "deposit"
	stepWithdrawal stepKind = "withdrawal"
	// stepNetZero: a registered operator deposits, then queues the withdrawal of exactly the
	// shares it got, in the next blocks: its weight ends where it began.
	stepNetZero stepKind = "net_zero"
	// stepRegister: an outsider registers with the AVS; stepDeregister: an operator leaves it.
	stepRegister   stepKind = "registration"
	stepDeregister stepKind = "deregistration"
)

// step is one action of a scenario, at a block offset from the scenario's start.
type step struct {
	At   uint64   `json:"at"`
	Kind stepKind `json:"kind"`
	// Actor indexes the population's registered operators (deposit, withdrawal, net zero,
	// deregistration) or its outsiders (outsider deposit, registration).
	Actor   int      `json:"actor"`
	Amount  *big.Int `json:"amount,omitempty"`
	Quorums []uint8  `json:"quorums,omitempty"`
}

// scenarioConfig sizes a scenario.
type scenarioConfig struct {
	Blocks           uint64 `json:"blocks"`
	OutsiderDeposits int    `json:"outsider_deposits"`
	Deposits         int    `json:"deposits"`
	Withdrawals      int    `json:"withdrawals"`
	NetZero          int    `json:"net_zero"`
	Registrations    int    `json:"registrations"`
	Deregistrations  int    `json:"deregistrations"`
}

// benchScenario is the stream both strategies face: over 600 blocks (three sweep intervals), 240
// deposits of operators outside the AVS, 80 share changes of registered operators, 15 changes
// that net to zero within a few blocks, 4 registrations and 4 deregistrations.
var benchScenario = scenarioConfig{
	Blocks:           600,
	OutsiderDeposits: 240,
	Deposits:         60,
	Withdrawals:      20,
	NetZero:          15,
	Registrations:    4,
	Deregistrations:  4,
}

// scenario is a seeded, reproducible list of steps in block order.
type scenario struct {
	Seed   uint64         `json:"seed"`
	Config scenarioConfig `json:"config"`
	Steps  []step         `json:"-"`
}

// newScenario draws the steps for a population of registered operators and outsiders. Operators
// that deregister see no other change, outsiders that register see none before (so every share
// change is clearly inside or outside the AVS), and the last 10 blocks are left quiet.
func newScenario(seed uint64, cfg scenarioConfig, registered []devnet.Member, outsiders int) scenario {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	members := rng.Perm(len(registered))
	leaving, changing := members[:cfg.Deregistrations], members[cfg.Deregistrations:]
	joining := outsiders - cfg.Registrations
	at := func() uint64 { return rng.Uint64N(cfg.Blocks - 10) }
	amount := func(lo, hi int64) *big.Int { return milliEth(lo + rng.Int64N(hi-lo+1)) }
	pick := func(from []int) int { return from[rng.IntN(len(from))] }

	var steps []step
	for range cfg.OutsiderDeposits {
		steps = append(steps, step{At: at(), Kind: stepOutsiderDeposit, Actor: rng.IntN(joining), Amount: amount(10, 100)})
	}
	for range cfg.Deposits {
		steps = append(steps, step{At: at(), Kind: stepDeposit, Actor: pick(changing), Amount: amount(10, 100)})
	}
	for range cfg.Withdrawals {
		steps = append(steps, step{At: at(), Kind: stepWithdrawal, Actor: pick(changing), Amount: amount(5, 50)})
	}
	for range cfg.NetZero {
		steps = append(steps, step{At: at(), Kind: stepNetZero, Actor: pick(changing), Amount: amount(10, 100)})
	}
	groups := [][]uint8{{0}, {1}, {0, 1}}
	for i := range cfg.Registrations {
		steps = append(steps, step{At: at(), Kind: stepRegister, Actor: joining + i, Quorums: groups[rng.IntN(len(groups))]})
	}
	for _, m := range leaving {
		steps = append(steps, step{At: at(), Kind: stepDeregister, Actor: m, Quorums: registered[m].Quorums})
	}
	slices.SortStableFunc(steps, func(a, b step) int { return cmp.Compare(a.At, b.At) })
	return scenario{Seed: seed, Config: cfg, Steps: steps}
}

// outcome is what a step did on chain.
type outcome struct {
	Step     step
	Operator common.Address
	// Block and TxIndex place the share change (for a net zero step, the deposit); EndBlock is
	// the block of a net zero step's withdrawal.
	Block, EndBlock uint64
	TxIndex         uint
}

// effective reports whether the outcome moved a registered operator's weight for good: the
// changes whose staleness is measured.
func (o outcome) effective() bool { return o.Step.Kind == stepDeposit || o.Step.Kind == stepWithdrawal }

// player runs a scenario's steps on a chain, each when its block arrives, one at a time per
// actor (an actor's transactions take consecutive nonces).
type player struct {
	c     *benchChain
	locks map[common.Address]*sync.Mutex
}

// play runs sc from block start and returns the outcomes in step order once every step is done.
func (c *benchChain) play(ctx context.Context, sc scenario, start uint64) ([]outcome, error) {
	p := &player{c: c, locks: map[common.Address]*sync.Mutex{}}
	for _, a := range p.actors() {
		p.locks[a.Address] = new(sync.Mutex)
	}
	outcomes := make([]outcome, len(sc.Steps))
	errs := make([]error, len(sc.Steps))
	var wg sync.WaitGroup
	for i, st := range sc.Steps {
		if err := c.clock.wait(ctx, start+st.At); err != nil {
			errs[i] = err
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i], errs[i] = p.run(ctx, st)
		}()
	}
	wg.Wait()
	return outcomes, errors.Join(errs...)
}

func (p *player) actors() []*devnet.Actor {
	out := slices.Clone(p.c.pop.Outsiders)
	for _, m := range p.c.pop.Registered {
		out = append(out, m.Actor)
	}
	return out
}

// run does one step as its actor.
func (p *player) run(ctx context.Context, st step) (outcome, error) {
	a := p.actor(st)
	lock := p.locks[a.Address]
	lock.Lock()
	defer lock.Unlock()
	o := outcome{Step: st, Operator: a.Address}
	var r *types.Receipt
	var err error
	switch st.Kind {
	case stepOutsiderDeposit, stepDeposit:
		r, err = a.Deposit(ctx, st.Amount)
	case stepWithdrawal:
		r, err = a.Withdraw(ctx, st.Amount)
	case stepNetZero:
		var back *types.Receipt
		if r, err = a.Deposit(ctx, st.Amount); err == nil {
			if back, err = p.undo(ctx, a, r); err == nil {
				o.EndBlock = back.BlockNumber.Uint64()
			}
		}
	case stepRegister:
		err = a.RegisterWithAVS(ctx, st.Quorums...)
	case stepDeregister:
		err = a.DeregisterFromAVS(ctx, st.Quorums...)
	}
	if err != nil {
		return o, fmt.Errorf("%s by %s at +%d: %w", st.Kind, a.Address, st.At, err)
	}
	if r != nil {
		o.Block, o.TxIndex = r.BlockNumber.Uint64(), r.TransactionIndex
	}
	return o, nil
}

func (p *player) actor(st step) *devnet.Actor {
	if st.Kind == stepOutsiderDeposit || st.Kind == stepRegister {
		return p.c.pop.Outsiders[st.Actor]
	}
	return p.c.pop.Registered[st.Actor].Actor
}

// undo queues the withdrawal of the shares deposit gave the operator.
func (p *player) undo(ctx context.Context, a *devnet.Actor, deposit *types.Receipt) (*types.Receipt, error) {
	f, err := delegationmanager.NewContractDelegationManagerFilterer(p.c.d.Addresses.DelegationManager, nil)
	if err != nil {
		return nil, err
	}
	for _, l := range deposit.Logs {
		if ev, err := f.ParseOperatorSharesIncreased(*l); err == nil {
			return a.Withdraw(ctx, ev.Shares)
		}
	}
	return nil, fmt.Errorf("no OperatorSharesIncreased in deposit %s", deposit.TxHash)
}
