package devnet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sync"
	"time"

	delegationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/DelegationManager"
	mockerc20 "github.com/Layr-Labs/eigensdk-go/contracts/bindings/MockERC20"
	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	stakeregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StakeRegistry"
	strategymanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StrategyManager"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// Profile names an AVS shape a devnet can start with, populated.
type Profile string

// ProfileEigenDA is shaped like EigenDA on mainnet: quorum 0 weighs ten strategies with different
// multipliers, quorum 1 a single strategy, quorum 2 is a slashable (operator-set) quorum over two
// strategies; 240 registered operators (quorum 0: 210, quorum 1: 55, quorum 2: 35; 60 of them in
// two quorums) and 20 EigenLayer operators outside the AVS, with a skewed stake distribution (a few
// large operators, many small ones).
const ProfileEigenDA Profile = "eigenda"

// Profiles are the known profiles.
var Profiles = []Profile{ProfileEigenDA, ProfileECDSA}

// Shape is what a profile put on the chain.
type Shape struct {
	Profile Profile `json:"profile"`
	// Strategies are every strategy of the AVS; the first is the SDK's mock strategy.
	Strategies []Strategy `json:"strategies"`
	// Quorums describe the AVS's quorums in number order.
	Quorums []ShapeQuorum `json:"quorums"`
	// Registered are the operators registered with the AVS, Outsiders the EigenLayer operators
	// that are not; both are funded keys of the devnet (see Devnet.Key).
	Registered []ShapeOperator `json:"registered"`
	Outsiders  []ShapeOperator `json:"outsiders"`
	// Accounts is how many extra accounts the profile's operators use; Options.Accounts adds
	// keys after them.
	Accounts int `json:"accounts"`
	// ECDSAStakeRegistry is the ECDSA profile's registry (its one quorum is Quorums[0], its
	// multipliers in basis points) and MinimumWeight its minimum weight; zero in other profiles.
	ECDSAStakeRegistry common.Address `json:"ecdsaStakeRegistry,omitempty"`
	MinimumWeight      *big.Int       `json:"minimumWeight,omitempty"`
}

// Strategy is an EigenLayer strategy and its underlying token.
type Strategy struct {
	Address common.Address `json:"address"`
	Token   common.Address `json:"token"`
}

// ShapeQuorum is one quorum of a shape.
type ShapeQuorum struct {
	Number uint8 `json:"number"`
	// Slashable quorums weigh allocated (slashable) stake, looking Lookahead blocks ahead.
	Slashable bool   `json:"slashable"`
	Lookahead uint32 `json:"lookahead,omitempty"`
	// Strategies and Multipliers (1e18 = 1) are the quorum's strategy parameters.
	Strategies  []common.Address `json:"strategies"`
	Multipliers []*big.Int       `json:"multipliers"`
}

// ShapeOperator is one operator of a shape.
type ShapeOperator struct {
	Key     int            `json:"key"`
	Address common.Address `json:"address"`
	// Quorums it is registered in (none for an outsider).
	Quorums []uint8 `json:"quorums,omitempty"`
	// Deposits are its shares per strategy index (Shape.Strategies), as deposited.
	Deposits map[int]*big.Int `json:"deposits"`
}

// QuorumOf returns the quorum numbered q.
func (s *Shape) QuorumOf(q uint8) ShapeQuorum { return s.Quorums[q] }

// Members returns the registered operators of quorum q.
func (s *Shape) Members(q uint8) []ShapeOperator {
	var out []ShapeOperator
	for _, o := range s.Registered {
		if slices.Contains(o.Quorums, q) {
			out = append(out, o)
		}
	}
	return out
}

// Actors returns an actor for every registered operator and outsider of the shape, as Populate
// does. The caller closes them.
func (d *Devnet) Actors(ctx context.Context) (*Populated, error) {
	if d.Shape == nil {
		return nil, errors.New("the devnet has no profile")
	}
	out := &Populated{}
	for _, o := range d.Shape.Registered {
		a, err := d.Actor(ctx, o.Key)
		if err != nil {
			out.Close()
			return nil, err
		}
		out.Registered = append(out.Registered, Member{a, o.Quorums})
	}
	for _, o := range d.Shape.Outsiders {
		a, err := d.Actor(ctx, o.Key)
		if err != nil {
			out.Close()
			return nil, err
		}
		out.Outsiders = append(out.Outsiders, a)
	}
	return out, nil
}

// eigenDAPlan is the EigenDA profile's recipe.
type shapePlan struct {
	// ecdsa puts an ECDSAStakeRegistry in place of the RegistryCoordinator's quorums.
	ecdsa      bool
	groups     []Group
	outsiders  int
	multiplier []float64 // quorum 0's multipliers, one per strategy
	// single is the strategy index of the single-strategy quorum 1; slashable are quorum 2's.
	single    int
	slashable []int
	lookahead uint32
	// stake is operator i's total stake in ETH (registered operators first, then outsiders).
	stake func(i int) float64
}

// cacheVersion changes whenever a profile's recipe changes, so old caches are not reused.
const cacheVersion = "eigenda-1"

func planFor(p Profile) (shapePlan, error) {
	switch p {
	case ProfileECDSA:
		return ecdsaPlan(), nil
	case ProfileEigenDA:
		return shapePlan{
			groups: []Group{
				{Count: 150, Quorums: []uint8{0}},
				{Count: 35, Quorums: []uint8{0, 1}},
				{Count: 25, Quorums: []uint8{0, 2}},
				{Count: 20, Quorums: []uint8{1}},
				{Count: 10, Quorums: []uint8{2}},
			},
			outsiders:  20,
			multiplier: []float64{1.0, 1.05, 1.1, 0.9, 1.2, 0.95, 1.02, 1.15, 0.85, 1.3},
			single:     1,
			slashable:  []int{0, 2},
			lookahead:  10,
			// Zipf-like: a handful of operators hold most of the stake, the long tail a few ETH.
			stake: func(i int) float64 {
				rank := float64(scramble(i, 260) + 1)
				return math.Max(2000*math.Pow(rank, -1.3), 0.5)
			},
		}, nil
	}
	return shapePlan{}, fmt.Errorf("unknown devnet profile %q (known: %v)", p, Profiles)
}

// accounts is how many keys the plan's operators use.
func (p shapePlan) accounts() int {
	n := p.outsiders
	for _, gr := range p.groups {
		n += gr.Count
	}
	return n
}

// scramble maps i in [0,n) onto a fixed permutation of [0,n), so stake rank does not follow key
// order (or quorum membership).
func scramble(i, n int) int { return (i*97 + 31) % n }

// deterministicAddress is a fixed address for a profile's own contracts.
func deterministicAddress(what string, i int) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte(fmt.Sprintf("avs-sync devnet %s %d", what, i)))[12:])
}

// Storage layout of the SDK's mock ERC20 (OpenZeppelin ERC20) and StrategyBase.
var (
	erc20BalanceSlot   = big.NewInt(0)
	erc20AllowanceSlot = big.NewInt(1)
	strategyTokenSlot  = common.BigToHash(big.NewInt(0x32))
	strategySharesSlot = common.BigToHash(big.NewInt(0x33))
	strategyMaxPerDep  = common.BigToHash(big.NewInt(0x64))
	strategyMaxTotal   = common.BigToHash(big.NewInt(0x65))
)

func mapSlot(key common.Hash, slot *big.Int) common.Hash {
	return crypto.Keccak256Hash(key[:], common.BigToHash(slot).Bytes())
}

// buildShape starts a devnet from the base deployment, puts the profile's AVS on it and returns
// the populated state as a genesis, with the shape.
func buildShape(ctx context.Context, opts Options) (genesis, *Shape, error) {
	plan, err := planFor(opts.Profile)
	if err != nil {
		return genesis{}, nil, err
	}
	g, err := baseGenesis(opts.Flavor)
	if err != nil {
		return genesis{}, nil, err
	}
	if opts.Flavor != Slashing {
		return genesis{}, nil, fmt.Errorf("profile %s needs the slashing deployment", opts.Profile)
	}
	accounts := plan.accounts()
	shape := &Shape{Profile: opts.Profile, Accounts: accounts}

	addStrategies(g, plan, shape, accounts)

	bopts := opts
	bopts.Accounts = accounts
	bopts.BlockTime = 10 * time.Millisecond
	d, err := startFrom(ctx, bopts, g, 0)
	if err != nil {
		return genesis{}, nil, err
	}
	defer d.Close()
	if err := d.shapeAVS(ctx, plan, shape); err != nil {
		return genesis{}, nil, fmt.Errorf("build profile %s: %w", opts.Profile, err)
	}
	if err := d.populateShape(ctx, plan, shape); err != nil {
		return genesis{}, nil, fmt.Errorf("build profile %s: %w", opts.Profile, err)
	}
	out, err := d.dumpGenesis(ctx)
	if err != nil {
		return genesis{}, nil, fmt.Errorf("build profile %s: %w", opts.Profile, err)
	}
	out.addrs = g.addrs
	return out, shape, nil
}

// addStrategies puts the profile's strategies in g: the SDK's mock strategy, and clones of it
// over clones of its token. Their deposit limits are lifted; each of the first accounts keys
// holds each token and has approved the StrategyManager, so a deposit is one transaction.
func addStrategies(g genesis, plan shapePlan, shape *Shape, accounts int) {
	mockStrategy := g.alloc[g.addrs.Strategy]
	mockToken := g.alloc[g.addrs.Token]
	shape.Strategies = append(shape.Strategies, Strategy{Address: g.addrs.Strategy, Token: g.addrs.Token})
	for i := 1; i < len(plan.multiplier); i++ {
		shape.Strategies = append(shape.Strategies, Strategy{Address: deterministicAddress("strategy", i), Token: deterministicAddress("token", i)})
	}
	unlimited := common.BigToHash(new(big.Int).Lsh(big.NewInt(1), 200))
	supply := new(big.Int).Lsh(big.NewInt(1), 120)
	for i, s := range shape.Strategies {
		st := types.Account{Nonce: mockStrategy.Nonce, Balance: new(big.Int), Code: mockStrategy.Code, Storage: copySlots(mockStrategy.Storage)}
		tok := types.Account{Nonce: mockToken.Nonce, Balance: new(big.Int), Code: mockToken.Code, Storage: map[common.Hash]common.Hash{}}
		if i == 0 {
			tok.Storage = copySlots(mockToken.Storage)
		} else {
			st.Storage[strategyTokenSlot] = common.BytesToHash(s.Token[:])
			st.Storage[strategySharesSlot] = common.Hash{}
		}
		st.Storage[strategyMaxPerDep] = unlimited
		st.Storage[strategyMaxTotal] = unlimited
		for k := 0; k < accounts; k++ {
			holder := common.BytesToHash(crypto.PubkeyToAddress(accountKey(k).PublicKey).Bytes())
			tok.Storage[mapSlot(holder, erc20BalanceSlot)] = common.BigToHash(supply)
			inner := mapSlot(holder, erc20AllowanceSlot)
			tok.Storage[crypto.Keccak256Hash(common.BytesToHash(g.addrs.StrategyManager[:]).Bytes(), inner[:])] = common.BigToHash(supply)
		}
		g.alloc[s.Address] = st
		g.alloc[s.Token] = tok
	}
}

func copySlots(m map[common.Hash]common.Hash) map[common.Hash]common.Hash {
	out := make(map[common.Hash]common.Hash, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func ethToWei(eth float64) *big.Int {
	milli := big.NewInt(int64(eth * 1000))
	return milli.Mul(milli, big.NewInt(1e15))
}

func multiplierWei(m float64) *big.Int { return ethToWei(m) }

// shapeAVS whitelists the profile's strategies, adds them to quorum 0 and creates the
// single-strategy and the slashable quorum, as the AVS owner (key 0).
func (d *Devnet) shapeAVS(ctx context.Context, plan shapePlan, shape *Shape) error {
	owner, err := d.Actor(ctx, 0)
	if err != nil {
		return err
	}
	defer owner.Close()
	if err := d.whitelistStrategies(ctx, owner, shape); err != nil {
		return err
	}
	srAddr, err := owner.rc.StakeRegistry(&bind.CallOpts{Context: ctx})
	if err != nil {
		return fmt.Errorf("read stake registry address: %w", err)
	}
	sr, err := stakeregistry.NewContractStakeRegistry(srAddr, owner.client)
	if err != nil {
		return err
	}
	// Quorum 0 exists over the mock strategy at multiplier 1; its multiplier stays, the others
	// come in with theirs.
	q0 := ShapeQuorum{Number: 0, Strategies: []common.Address{shape.Strategies[0].Address}, Multipliers: []*big.Int{big.NewInt(1e18)}}
	var params []stakeregistry.IStakeRegistryTypesStrategyParams
	for i, s := range shape.Strategies[1:] {
		m := multiplierWei(plan.multiplier[i+1])
		params = append(params, stakeregistry.IStakeRegistryTypesStrategyParams{Strategy: s.Address, Multiplier: m})
		q0.Strategies = append(q0.Strategies, s.Address)
		q0.Multipliers = append(q0.Multipliers, m)
	}
	if err := owner.send(ctx, "addStrategies", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return sr.AddStrategies(o, 0, params)
	}); err != nil {
		return err
	}
	shape.Quorums = append(shape.Quorums, q0)

	opParams := regcoord.ISlashingRegistryCoordinatorTypesOperatorSetParam{MaxOperatorCount: 1000, KickBIPsOfOperatorStake: 10000, KickBIPsOfTotalStake: 100}
	single := shape.Strategies[plan.single].Address
	if err := owner.send(ctx, "createTotalDelegatedStakeQuorum", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return owner.rc.CreateTotalDelegatedStakeQuorum(o, opParams, big.NewInt(0),
			[]regcoord.IStakeRegistryTypesStrategyParams{{Strategy: single, Multiplier: big.NewInt(1e18)}})
	}); err != nil {
		return err
	}
	shape.Quorums = append(shape.Quorums, ShapeQuorum{Number: 1, Strategies: []common.Address{single}, Multipliers: []*big.Int{big.NewInt(1e18)}})

	q2 := ShapeQuorum{Number: 2, Slashable: true, Lookahead: plan.lookahead}
	var slashParams []regcoord.IStakeRegistryTypesStrategyParams
	for _, i := range plan.slashable {
		slashParams = append(slashParams, regcoord.IStakeRegistryTypesStrategyParams{Strategy: shape.Strategies[i].Address, Multiplier: big.NewInt(1e18)})
		q2.Strategies = append(q2.Strategies, shape.Strategies[i].Address)
		q2.Multipliers = append(q2.Multipliers, big.NewInt(1e18))
	}
	if err := owner.send(ctx, "createSlashableStakeQuorum", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return owner.rc.CreateSlashableStakeQuorum(o, opParams, big.NewInt(0), slashParams, plan.lookahead)
	}); err != nil {
		return err
	}
	shape.Quorums = append(shape.Quorums, q2)
	return nil
}

// populateShape makes the profile's operators: deposits spread over a few strategies (quorum 1's
// members always hold its strategy, quorum 2's one of its strategies), registration with the AVS,
// and for the slashable quorum an allocation of part of each member's stake, refreshed once it
// counts so that every stored stake starts equal to its weight.
func (d *Devnet) populateShape(ctx context.Context, plan shapePlan, shape *Shape) error {
	type job struct {
		op ShapeOperator
	}
	var jobs []job
	for _, gr := range plan.groups {
		for range gr.Count {
			k := 3 + len(jobs)
			jobs = append(jobs, job{op: ShapeOperator{Key: k, Quorums: gr.Quorums}})
		}
	}
	for range plan.outsiders {
		jobs = append(jobs, job{op: ShapeOperator{Key: 3 + len(jobs)}})
	}
	for i := range jobs {
		o := &jobs[i].op
		o.Address = crypto.PubkeyToAddress(d.keys[o.Key].PublicKey)
		o.Deposits = depositsFor(plan, i, o.Quorums, len(shape.Strategies))
	}
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = d.setUpShapeOperator(ctx, shape, jobs[i].op, plan)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, j := range jobs {
		if j.op.Quorums == nil {
			shape.Outsiders = append(shape.Outsiders, j.op)
		} else {
			shape.Registered = append(shape.Registered, j.op)
		}
	}
	return d.allocateSlashable(ctx, plan, shape)
}

// depositsFor spreads operator i's stake over one to four strategies.
func depositsFor(plan shapePlan, i int, quorums []uint8, strategies int) map[int]*big.Int {
	total := plan.stake(i)
	picks := []int{(i * 7) % strategies}
	if slices.Contains(quorums, 1) {
		picks = append(picks, plan.single)
	}
	if slices.Contains(quorums, 2) {
		picks = append(picks, plan.slashable[i%len(plan.slashable)])
	}
	for extra := i % 3; extra > 0; extra-- {
		picks = append(picks, (i*13+extra*5)%strategies)
	}
	slices.Sort(picks)
	picks = slices.Compact(picks)
	out := make(map[int]*big.Int, len(picks))
	weights := 0
	for k := range picks {
		weights += k + 1
	}
	for k, s := range picks {
		out[s] = ethToWei(total * float64(k+1) / float64(weights))
	}
	return out
}

func (d *Devnet) setUpShapeOperator(ctx context.Context, shape *Shape, op ShapeOperator, plan shapePlan) error {
	a, err := d.Actor(ctx, op.Key)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.RegisterOperator(ctx); err != nil {
		return err
	}
	sm, err := strategymanager.NewContractStrategyManager(d.Addresses.StrategyManager, a.client)
	if err != nil {
		return err
	}
	idx := make([]int, 0, len(op.Deposits))
	for s := range op.Deposits {
		idx = append(idx, s)
	}
	slices.Sort(idx)
	for _, s := range idx {
		st, amount := shape.Strategies[s], op.Deposits[s]
		if err := a.send(ctx, "depositIntoStrategy", func(o *bind.TransactOpts) (*types.Transaction, error) {
			return sm.DepositIntoStrategy(o, st.Address, st.Token, amount)
		}); err != nil {
			return err
		}
	}
	if op.Quorums == nil {
		return nil
	}
	if plan.ecdsa {
		_, err := a.RegisterWithECDSA(ctx)
		return err
	}
	return a.RegisterWithAVS(ctx, op.Quorums...)
}

// allocateSlashable allocates half of each slashable-quorum member's magnitude of the quorum's
// strategies, waits until the allocations count and refreshes those members' stakes.
func (d *Devnet) allocateSlashable(ctx context.Context, plan shapePlan, shape *Shape) error {
	members := shape.Members(2)
	if len(members) == 0 {
		return nil
	}
	owner, err := d.Actor(ctx, 0)
	if err != nil {
		return err
	}
	defer owner.Close()
	configDelay, err := d.AllocationConfigurationDelay(ctx, owner)
	if err != nil {
		return fmt.Errorf("read allocation configuration delay: %w", err)
	}
	// A new operator's allocation delay takes effect after the configuration delay.
	d.MineBlocks(int(configDelay) + 2)
	q2 := shape.Quorums[2]
	errs := make([]error, len(members))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			a, err := d.Actor(ctx, m.Key)
			if err != nil {
				errs[i] = err
				return
			}
			defer a.Close()
			mag := uint64(2e17 + uint64(i%7)*1e17)
			_, errs[i] = a.AllocateStrategies(ctx, 2, q2.Strategies, mag)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.MineBlocks(int(plan.lookahead) + 5)
	var addrs []common.Address
	for _, m := range members {
		addrs = append(addrs, m.Address)
	}
	for len(addrs) > 0 {
		n := min(len(addrs), 10)
		if _, err := owner.UpdateOperators(ctx, addrs[:n]); err != nil {
			return fmt.Errorf("refresh slashable stakes: %w", err)
		}
		addrs = addrs[n:]
	}
	return nil
}

// DepositInto mints amount of strategy's token to the actor and deposits it into the strategy.
func (a *Actor) DepositInto(ctx context.Context, s Strategy, amount *big.Int) (*types.Receipt, error) {
	token, err := mockerc20.NewContractMockERC20(s.Token, a.client)
	if err != nil {
		return nil, err
	}
	if err := a.send(ctx, "mint", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return token.Mint(o, a.Address, amount)
	}); err != nil {
		return nil, err
	}
	r, err := a.el.DepositERC20IntoStrategy(ctx, s.Address, amount, true)
	if err != nil {
		return nil, fmt.Errorf("deposit %s into %s for %s: %w", amount, s.Address, a.Address, err)
	}
	return r, nil
}

// Stake deposits amount of strategy s's token into s for the actor in one transaction: profile
// operators hold every profile token and have approved the StrategyManager from genesis. If the
// actor is an operator, its shares grow.
func (a *Actor) Stake(ctx context.Context, s Strategy, amount *big.Int) (*types.Receipt, error) {
	sm, err := strategymanager.NewContractStrategyManager(a.d.Addresses.StrategyManager, a.client)
	if err != nil {
		return nil, err
	}
	return a.sendReceipt(ctx, "depositIntoStrategy", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return sm.DepositIntoStrategy(o, s.Address, s.Token, amount)
	})
}

// Unstake queues a withdrawal of shares of strategy s, decreasing the actor's (an operator's)
// shares at once.
func (a *Actor) Unstake(ctx context.Context, s Strategy, shares *big.Int) (*types.Receipt, error) {
	return a.sendReceipt(ctx, "queueWithdrawals", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return a.dm.QueueWithdrawals(o, []delegationmanager.IDelegationManagerTypesQueuedWithdrawalParams{{
			Strategies:           []common.Address{s.Address},
			DepositShares:        []*big.Int{shares},
			DeprecatedWithdrawer: a.Address,
		}})
	})
}

// sendReceipt is send, returning the receipt.
func (a *Actor) sendReceipt(ctx context.Context, what string, build func(*bind.TransactOpts) (*types.Transaction, error)) (*types.Receipt, error) {
	opts, err := a.txm.GetNoSendTxOpts()
	if err != nil {
		return nil, err
	}
	opts.Context = ctx
	tx, err := build(opts)
	if err != nil {
		return nil, fmt.Errorf("%s from %s: %w", what, a.Address, err)
	}
	r, err := a.txm.Send(ctx, tx, true)
	if err != nil {
		return nil, fmt.Errorf("%s from %s: %w", what, a.Address, err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("%s from %s reverted in tx %s", what, a.Address, r.TxHash)
	}
	return r, nil
}

// whitelistStrategies lets the shape's strategies (the first, the devnet's own, already is) take
// deposits, as owner.
func (d *Devnet) whitelistStrategies(ctx context.Context, owner *Actor, shape *Shape) error {
	sm, err := strategymanager.NewContractStrategyManager(d.Addresses.StrategyManager, owner.client)
	if err != nil {
		return err
	}
	var added []common.Address
	for _, s := range shape.Strategies[1:] {
		added = append(added, s.Address)
	}
	if err := owner.send(ctx, "addStrategiesToDepositWhitelist", func(o *bind.TransactOpts) (*types.Transaction, error) {
		return sm.AddStrategiesToDepositWhitelist(o, added)
	}); err != nil {
		return err
	}
	return nil
}
