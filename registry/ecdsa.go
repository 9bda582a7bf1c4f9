package registry

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/avs-sync/avs-sync/bindings/ecdsastakeregistry"
	"github.com/avs-sync/avs-sync/planner"
)

// ErrNotARegistry: the address given holds a contract that is neither an ECDSAStakeRegistry nor a
// RegistryCoordinator.
var ErrNotARegistry = errors.New("not a stake registry avs-sync knows")

// ECDSAQuorum is the quorum number an ECDSAStakeRegistry's single quorum is planned as: the
// registry's updateOperatorsForQuorum refreshes its first list and ignores the quorum bytes.
const ECDSAQuorum uint8 = 0

// ECDSAConfig are the addresses of an ECDSA AVS an operator of avs-sync gives.
type ECDSAConfig struct {
	// StakeRegistry is the AVS's ECDSAStakeRegistry.
	StakeRegistry common.Address
	// DelegationManager is the EigenLayer DelegationManager the registry weighs shares of: the
	// registry keeps it in an immutable with no getter, so it cannot be read from the chain.
	DelegationManager common.Address
	// FromBlock is the first block whose registrations count (the registry's deployment or
	// earlier): the operator set is rebuilt from OperatorRegistered and OperatorDeregistered,
	// since the registry has no getter for it.
	FromBlock uint64
	// ChainID, when not zero, must be the node's chain id.
	ChainID uint64
}

// DiscoverECDSA checks that cfg.StakeRegistry holds an ECDSAStakeRegistry (its quorum, minimum
// weight and total weight answer) and cfg.DelegationManager a contract, in one batched round
// trip. A RegistryCoordinator at the address is named in the error; anything else is
// ErrNotARegistry.
func DiscoverECDSA(ctx context.Context, client *rpc.Client, cfg ECDSAConfig) (Contracts, error) {
	a, err := ecdsastakeregistry.ECDSAStakeRegistryMetaData.GetAbi()
	if err != nil {
		return Contracts{}, fmt.Errorf("ECDSA stake registry ABI: %w", err)
	}
	rcABI, err := loadABIs()
	if err != nil {
		return Contracts{}, err
	}
	var chainID hexutil.Big
	var regCode, dmCode hexutil.Bytes
	probes := []*call{
		{to: cfg.StakeRegistry, abi: a, method: "quorum"},
		{to: cfg.StakeRegistry, abi: a, method: "minimumWeight"},
		{to: cfg.StakeRegistry, abi: a, method: "getLastCheckpointTotalWeight"},
		{to: cfg.StakeRegistry, abi: rcABI.rc, method: "quorumCount"},
	}
	elems := []rpc.BatchElem{
		{Method: "eth_chainId", Result: &chainID},
		{Method: "eth_getCode", Args: []any{cfg.StakeRegistry, "latest"}, Result: &regCode},
		{Method: "eth_getCode", Args: []any{cfg.DelegationManager, "latest"}, Result: &dmCode},
	}
	for _, p := range probes {
		data, err := p.abi.Pack(p.method)
		if err != nil {
			return Contracts{}, fmt.Errorf("encode %s: %w", p.method, err)
		}
		elems = append(elems, rpc.BatchElem{Method: "eth_call", Args: []any{callArgs{To: p.to, Data: data}, "latest"}, Result: &p.out})
	}
	if err := client.BatchCallContext(ctx, elems); err != nil {
		return Contracts{}, fmt.Errorf("read ECDSA stake registry %s: %w", cfg.StakeRegistry, err)
	}
	for _, e := range elems[:3] {
		if e.Error != nil {
			return Contracts{}, fmt.Errorf("read ECDSA stake registry %s (%s): %w", cfg.StakeRegistry, e.Method, e.Error)
		}
	}
	for i, p := range probes {
		p.err = elems[3+i].Error
	}
	got := chainID.ToInt().Uint64()
	if cfg.ChainID != 0 && got != cfg.ChainID {
		return Contracts{}, fmt.Errorf("%w: the node serves chain id %d, expected %d", ErrWrongChain, got, cfg.ChainID)
	}
	if len(regCode) == 0 {
		return Contracts{}, fmt.Errorf("--ecdsa-stake-registry-addr %s: %w on chain %d", cfg.StakeRegistry, ErrNoContract, got)
	}
	if len(dmCode) == 0 {
		return Contracts{}, fmt.Errorf("--delegation-manager-addr %s: %w on chain %d", cfg.DelegationManager, ErrNoContract, got)
	}
	for _, p := range probes[:3] {
		if _, err := p.result(); err != nil {
			if _, rcErr := probes[3].result(); rcErr == nil {
				return Contracts{}, fmt.Errorf("%s is a RegistryCoordinator, not an ECDSAStakeRegistry: give it as --registry-coordinator-addr: %w", cfg.StakeRegistry, ErrNotARegistry)
			}
			return Contracts{}, fmt.Errorf("%s is neither an ECDSAStakeRegistry nor a RegistryCoordinator (%s: %v): %w", cfg.StakeRegistry, p.method, err, ErrNotARegistry)
		}
	}
	return Contracts{ChainID: got, ECDSAStakeRegistry: cfg.StakeRegistry, DelegationManager: cfg.DelegationManager, QuorumCount: 1}, nil
}

// ECDSAReader reads an ECDSAStakeRegistry-based AVS in the shape the planner and the loop read a
// RegistryCoordinator's: one quorum (ECDSAQuorum), the stored weight (the operator's last
// checkpoint) against the weight an update would store now (getOperatorWeight, which is 0 below
// the minimum weight), and the operator set rebuilt from the registry's registration events. It
// is safe for concurrent use.
type ECDSAReader struct {
	c     Contracts
	abi   *abi.ABI
	batch batcher
	from  uint64
	// mu guards logRange, the most blocks one eth_getLogs asks for (halved while the node refuses
	// a range), and the settled operator set: members as of settledTo, a block at least
	// settleDepth below the head it was read at, so that no reorg reaches it.
	mu        sync.Mutex
	logRange  uint64
	members   map[common.Address]bool
	settledTo uint64
}

// settleDepth is how far below a read block registration events are folded into the cached set.
const settleDepth = 64

// DefaultECDSALogRange is the most blocks an ECDSAReader asks eth_getLogs for at once.
const DefaultECDSALogRange = 5000

var (
	_ planner.StakeReader     = (*ECDSAReader)(nil)
	_ planner.StrategyCounter = (*ECDSAReader)(nil)
)

// NewECDSAReader returns a reader of the ECDSA registry in c, counting registrations from block
// from on, in eth_getLogs ranges of at most logRange blocks (0: DefaultECDSALogRange).
func NewECDSAReader(client *rpc.Client, c Contracts, from, logRange uint64, opts ...Option) (*ECDSAReader, error) {
	a, err := ecdsastakeregistry.ECDSAStakeRegistryMetaData.GetAbi()
	if err != nil {
		return nil, fmt.Errorf("ECDSA stake registry ABI: %w", err)
	}
	// The options are the Reader's: batch size is the one that applies.
	probe := &Reader{batch: batcher{size: DefaultBatchSize}}
	for _, o := range opts {
		o(probe)
	}
	r := &ECDSAReader{c: c, abi: a, batch: batcher{rpc: client, size: probe.batch.size, stats: newCounter()},
		from: from, logRange: DefaultECDSALogRange, members: map[common.Address]bool{}}
	if logRange > 0 {
		r.logRange = logRange
	}
	if from > 0 {
		r.settledTo = from - 1
	}
	return r, nil
}

// Contracts returns the contracts the reader reads.
func (r *ECDSAReader) Contracts() Contracts { return r.c }

// Stats returns the requests and calls sent so far.
func (r *ECDSAReader) Stats() Stats { return r.batch.stats.snapshot() }

// SignatureCheckers is empty: an ECDSA registry checks signatures itself and has no stale-stakes rule.
func (r *ECDSAReader) SignatureCheckers() []common.Address { return nil }

// StaleStakes is never forbidden on an ECDSA registry: it checks signatures against whatever
// weights are stored, with no deadline.
func (r *ECDSAReader) StaleStakes(_ context.Context, block uint64) (StaleStakes, error) {
	return StaleStakes{Block: block}, nil
}

// PendingAllocations is empty: an ECDSA registry weighs delegated shares, not allocations.
func (r *ECDSAReader) PendingAllocations(context.Context, []common.Address, []uint8, uint64) ([]PendingAllocation, error) {
	return nil, nil
}

// OperatorStakes reads, for each operator (same order), whether it is registered and, if so, its
// stored and current weight, at block (0 = latest), in one batched round. Minimum is 0: the
// current weight already is 0 under the registry's minimum weight, which is what an update stores.
func (r *ECDSAReader) OperatorStakes(ctx context.Context, operators []common.Address, block uint64) ([]planner.OperatorStake, error) {
	out := make([]planner.OperatorStake, len(operators))
	if len(operators) == 0 {
		return out, nil
	}
	block, err := r.resolveBlock(ctx, block)
	if err != nil {
		return nil, err
	}
	total := r.call("getLastCheckpointTotalWeight")
	calls := []*call{total}
	for _, op := range operators {
		calls = append(calls, r.call("operatorRegistered", op), r.call("getLastCheckpointOperatorWeight", op), r.call("getOperatorWeight", op))
	}
	if err := r.batch.exec(ctx, calls, block); err != nil {
		return nil, fmt.Errorf("read weights of %d operators at block %d: %w", len(operators), block, err)
	}
	tw, err := bigResult(total)
	if err != nil {
		return nil, fmt.Errorf("read total weight at block %d: %w", block, err)
	}
	for i, op := range operators {
		reg, stored, weight := calls[1+3*i], calls[2+3*i], calls[3+3*i]
		vals, err := reg.result()
		if err != nil {
			return nil, fmt.Errorf("read registration of %s at block %d: %w", op, block, err)
		}
		out[i].Operator = op
		if out[i].Registered = vals[0].(bool); !out[i].Registered {
			continue
		}
		s, err := bigResult(stored)
		if err != nil {
			return nil, fmt.Errorf("read stored weight of %s at block %d: %w", op, block, err)
		}
		w, err := bigResult(weight)
		if err != nil {
			return nil, fmt.Errorf("read weight of %s at block %d: %w", op, block, err)
		}
		out[i].Quorums = []planner.QuorumStake{{Quorum: ECDSAQuorum, Stored: s, Weight: w, Minimum: new(big.Int), Total: tw}}
	}
	return out, nil
}

// QuorumOperators returns the registered operators at block for ECDSAQuorum (any other quorum
// has none).
func (r *ECDSAReader) QuorumOperators(ctx context.Context, quorums []uint8, block uint64) (map[uint8][]common.Address, error) {
	out := make(map[uint8][]common.Address, len(quorums))
	if !slices.Contains(quorums, ECDSAQuorum) {
		return out, nil
	}
	ops, err := r.AllOperators(ctx, block)
	if err != nil {
		return nil, err
	}
	out[ECDSAQuorum] = ops
	return out, nil
}

// AllOperators returns the operators registered at block (0 = latest), sorted: the settled set
// and the registration events after it up to block.
func (r *ECDSAReader) AllOperators(ctx context.Context, block uint64) ([]common.Address, error) {
	block, err := r.resolveBlock(ctx, block)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	base, settled := r.members, r.settledTo
	r.mu.Unlock()
	start := settled + 1
	if block < settled {
		// Below the settled set: from the start.
		base, start = nil, r.from
	}
	events, err := r.registrations(ctx, start, block)
	if err != nil {
		return nil, err
	}
	set := make(map[common.Address]bool, len(base)+len(events))
	for op := range base {
		set[op] = true
	}
	settle := uint64(0)
	if block > settleDepth {
		settle = block - settleDepth
	}
	var folded map[common.Address]bool
	for _, e := range events {
		if folded == nil && e.block > settle {
			folded = maps.Clone(set)
		}
		if e.registered {
			set[e.operator] = true
		} else {
			delete(set, e.operator)
		}
	}
	if folded == nil {
		folded = maps.Clone(set)
	}
	if settle > settled && settle >= start {
		r.mu.Lock()
		if settle > r.settledTo {
			r.members, r.settledTo = folded, settle
		}
		r.mu.Unlock()
	}
	ops := make([]common.Address, 0, len(set))
	for op := range set {
		ops = append(ops, op)
	}
	slices.SortFunc(ops, common.Address.Cmp)
	return ops, nil
}

// Quorums returns the registry's one quorum at block: its minimum weight and operator count.
func (r *ECDSAReader) Quorums(ctx context.Context, block uint64) ([]Quorum, error) {
	block, err := r.resolveBlock(ctx, block)
	if err != nil {
		return nil, err
	}
	min := r.call("minimumWeight")
	if err := r.batch.exec(ctx, []*call{min}, block); err != nil {
		return nil, fmt.Errorf("read minimum weight at block %d: %w", block, err)
	}
	m, err := bigResult(min)
	if err != nil {
		return nil, fmt.Errorf("read minimum weight at block %d: %w", block, err)
	}
	ops, err := r.AllOperators(ctx, block)
	if err != nil {
		return nil, err
	}
	return []Quorum{{Number: ECDSAQuorum, StakeType: TotalDelegated, Minimum: m, OperatorCount: len(ops)}}, nil
}

// QuorumStrategyCounts returns how many strategies the registry's quorum weighs at block, for
// the cost model.
func (r *ECDSAReader) QuorumStrategyCounts(ctx context.Context, quorums []uint8, block uint64) (map[uint8]int, error) {
	out := map[uint8]int{}
	if !slices.Contains(quorums, ECDSAQuorum) {
		return out, nil
	}
	c := r.call("quorum")
	if err := r.batch.exec(ctx, []*call{c}, block); err != nil {
		return nil, fmt.Errorf("read quorum at block %d: %w", block, err)
	}
	vals, err := c.result()
	if err != nil {
		return nil, fmt.Errorf("read quorum at block %d: %w", block, err)
	}
	q, ok := abi.ConvertType(vals[0], new(ecdsastakeregistry.ECDSAStakeRegistryQuorum)).(*ecdsastakeregistry.ECDSAStakeRegistryQuorum)
	if !ok {
		return nil, fmt.Errorf("decode quorum at block %d: unexpected %T", block, vals[0])
	}
	out[ECDSAQuorum] = len(q.Strategies)
	return out, nil
}

// registration is one OperatorRegistered or OperatorDeregistered event.
type registration struct {
	block      uint64
	operator   common.Address
	registered bool
}

// registrations reads the registry's registration events in [from, to], in order, in
// eth_getLogs ranges of at most logRange blocks. A range the node refuses is halved, down to one
// block, and the smaller size kept for later reads: providers cap ranges well below any default.
func (r *ECDSAReader) registrations(ctx context.Context, from, to uint64) ([]registration, error) {
	regID, deregID := r.abi.Events["OperatorRegistered"].ID, r.abi.Events["OperatorDeregistered"].ID
	var out []registration
	for lo := from; lo <= to; {
		r.mu.Lock()
		span := r.logRange
		r.mu.Unlock()
		hi := min(lo+span-1, to)
		arg := map[string]any{
			"address":   []common.Address{r.c.ECDSAStakeRegistry},
			"topics":    [][]common.Hash{{regID, deregID}},
			"fromBlock": hexutil.EncodeUint64(lo),
			"toBlock":   hexutil.EncodeUint64(hi),
		}
		var logs []types.Log
		r.batch.stats.request()
		r.batch.stats.call("eth_getLogs")
		if err := r.batch.rpc.CallContext(ctx, &logs, "eth_getLogs", arg); err != nil {
			if hi > lo && ctx.Err() == nil {
				r.mu.Lock()
				r.logRange = max((hi-lo+1)/2, 1)
				r.mu.Unlock()
				continue
			}
			return nil, fmt.Errorf("read registrations of %s in blocks %d-%d: %w", r.c.ECDSAStakeRegistry, lo, hi, err)
		}
		for _, l := range logs {
			if l.Removed || len(l.Topics) < 2 {
				continue
			}
			out = append(out, registration{block: l.BlockNumber, operator: common.BytesToAddress(l.Topics[1][12:]), registered: l.Topics[0] == regID})
		}
		lo = hi + 1
	}
	return out, nil
}

func (r *ECDSAReader) resolveBlock(ctx context.Context, block uint64) (uint64, error) {
	return r.batch.resolveBlock(ctx, block)
}

func (r *ECDSAReader) call(method string, args ...any) *call {
	return &call{to: r.c.ECDSAStakeRegistry, abi: r.abi, method: method, args: args}
}
