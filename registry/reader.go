package registry

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"sync"

	opstateretriever "github.com/Layr-Labs/eigensdk-go/contracts/bindings/OperatorStateRetriever"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/avs-sync/avs-sync/planner"
)

// operatorRegistered is RegistryCoordinator's OperatorStatus.REGISTERED.
const operatorRegistered = 1

// Reader reads the AVS's registry state in JSON-RPC batches. It is safe for concurrent use.
type Reader struct {
	// mu guards c.AVS (SetAVS) and the registries' addresses (SetRegistries), which can change;
	// the others are fixed.
	mu    sync.Mutex
	c     Contracts
	abis  abis
	batch batcher
	// ids caches operator address → operator id. An id is fixed at an operator's first
	// registration (it hashes the BLS key, which cannot change), so a cached operator skips the
	// registration round: its quorum bitmap alone says whether it is registered.
	ids *lru.Cache[common.Address, [32]byte]
	// checkers are the signature checkers named by WithSignatureCheckers; empty means the service
	// manager.
	checkers []common.Address
}

// idCacheSize bounds the operator id cache: far above any AVS's operator count.
const idCacheSize = 16384

var _ planner.StakeReader = (*Reader)(nil)

// Option configures a Reader.
type Option func(*Reader)

// WithBatchSize caps the eth_calls per JSON-RPC batch request (default DefaultBatchSize).
func WithBatchSize(n int) Option {
	return func(r *Reader) {
		if n > 0 {
			r.batch.size = n
		}
	}
}

// WithSignatureCheckers names the contracts whose staleStakesForbidden() StaleStakes reads, for
// AVSs whose BLSSignatureChecker is not the service manager (a task manager); empty keeps the
// service manager.
func WithSignatureCheckers(checkers []common.Address) Option {
	return func(r *Reader) { r.checkers = slices.Clone(checkers) }
}

// NewReader returns a Reader of the contracts c over client.
func NewReader(client *rpc.Client, c Contracts, opts ...Option) (*Reader, error) {
	a, err := loadABIs()
	if err != nil {
		return nil, err
	}
	ids, err := lru.New[common.Address, [32]byte](idCacheSize)
	if err != nil {
		return nil, err
	}
	r := &Reader{c: c, abis: a, batch: batcher{rpc: client, size: DefaultBatchSize, stats: newCounter()}, ids: ids}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// Contracts returns the contracts the reader reads.
func (r *Reader) Contracts() Contracts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.c
}

// SetAVS changes the address the AllocationManager keys the AVS's operator sets by, after
// RegistryCoordinator.setAVS.
func (r *Reader) SetAVS(avs common.Address) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.c.AVS = avs
}

// Stats returns the requests and calls sent so far.
func (r *Reader) Stats() Stats { return r.batch.stats.snapshot() }

// OperatorStakes reads, for each operator (same order), whether it is registered and, for each
// quorum it is in, its stored stake, its current weight and the quorum's minimum, all at block
// (0 = the latest block). Three batched rounds: registrations (skipped for operators whose id is
// cached), quorum bitmaps, stakes.
func (r *Reader) OperatorStakes(ctx context.Context, operators []common.Address, block uint64) ([]planner.OperatorStake, error) {
	out := make([]planner.OperatorStake, len(operators))
	if len(operators) == 0 {
		return out, nil
	}
	block, err := r.resolveBlock(ctx, block)
	if err != nil {
		return nil, err
	}

	// Round 1: operator id and registration status, for operators whose id is not cached.
	ids := make([][32]byte, len(operators))
	var unknown []int
	for i, op := range operators {
		out[i].Operator = op
		if id, ok := r.ids.Get(op); ok {
			ids[i] = id
		} else {
			unknown = append(unknown, i)
		}
	}
	candidates := make([]bool, len(operators))
	for i := range operators {
		candidates[i] = ids[i] != ([32]byte{})
	}
	if len(unknown) > 0 {
		infos := make([]*call, len(unknown))
		for j, i := range unknown {
			infos[j] = r.rc("getOperator", operators[i])
		}
		if err := r.batch.exec(ctx, infos, block); err != nil {
			return nil, fmt.Errorf("read registration of %d operators at block %d: %w", len(unknown), block, err)
		}
		for j, i := range unknown {
			vals, err := infos[j].result()
			if err != nil {
				return nil, fmt.Errorf("read registration of %s at block %d: %w", operators[i], block, err)
			}
			info := *abi.ConvertType(vals[0], new(operatorInfo)).(*operatorInfo)
			if info.OperatorId != ([32]byte{}) {
				r.ids.Add(operators[i], info.OperatorId)
			}
			if info.Status == operatorRegistered {
				ids[i] = info.OperatorId
				candidates[i] = true
			}
		}
	}
	var maybe []int
	for i := range operators {
		if candidates[i] {
			maybe = append(maybe, i)
		}
	}
	if len(maybe) == 0 {
		return out, nil
	}

	// Round 2: the quorums each operator is in; an empty bitmap means not registered.
	bitmaps := make([]*call, len(maybe))
	for j, i := range maybe {
		bitmaps[j] = r.rc("getCurrentQuorumBitmap", ids[i])
	}
	if err := r.batch.exec(ctx, bitmaps, block); err != nil {
		return nil, fmt.Errorf("read quorums of %d operators at block %d: %w", len(maybe), block, err)
	}
	quorumsOf := make([][]uint8, len(operators))
	var inAny [256]bool
	var registered []int
	for j, i := range maybe {
		bm, err := bigResult(bitmaps[j])
		if err != nil {
			return nil, fmt.Errorf("read quorums of %s at block %d: %w", operators[i], block, err)
		}
		if bm.Sign() == 0 {
			continue
		}
		out[i].Registered = true
		registered = append(registered, i)
		quorumsOf[i] = quorumsInBitmap(bm)
		for _, q := range quorumsOf[i] {
			inAny[q] = true
		}
	}
	if len(registered) == 0 {
		return out, nil
	}

	// Round 3: stored stake and weight per (operator, quorum), the minimum once per quorum.
	type pair struct{ stored, weight *call }
	stakes := make([][]pair, len(operators))
	var calls []*call
	for _, i := range registered {
		for _, q := range quorumsOf[i] {
			p := pair{stored: r.sr("getCurrentStake", ids[i], q), weight: r.sr("weightOfOperatorForQuorum", q, operators[i])}
			stakes[i] = append(stakes[i], p)
			calls = append(calls, p.stored, p.weight)
		}
	}
	var minimums, totals [256]*call
	for q := range inAny {
		if inAny[q] {
			minimums[q] = r.sr("minimumStakeForQuorum", uint8(q))
			totals[q] = r.sr("getCurrentTotalStake", uint8(q))
			calls = append(calls, minimums[q], totals[q])
		}
	}
	if err := r.batch.exec(ctx, calls, block); err != nil {
		return nil, fmt.Errorf("read stakes of %d operators at block %d: %w", len(registered), block, err)
	}
	minimum, total := make(map[uint8]*big.Int), make(map[uint8]*big.Int)
	for q, c := range minimums {
		if c == nil {
			continue
		}
		if minimum[uint8(q)], err = bigResult(c); err != nil {
			return nil, fmt.Errorf("read minimum stake of quorum %d at block %d: %w", q, block, err)
		}
		if total[uint8(q)], err = bigResult(totals[q]); err != nil {
			return nil, fmt.Errorf("read total stake of quorum %d at block %d: %w", q, block, err)
		}
	}
	for _, i := range registered {
		for k, q := range quorumsOf[i] {
			stored, err := bigResult(stakes[i][k].stored)
			if err != nil {
				return nil, fmt.Errorf("read stored stake of %s in quorum %d at block %d: %w", operators[i], q, block, err)
			}
			weight, err := bigResult(stakes[i][k].weight)
			if err != nil {
				return nil, fmt.Errorf("read weight of %s in quorum %d at block %d: %w", operators[i], q, block, err)
			}
			out[i].Quorums = append(out[i].Quorums, planner.QuorumStake{Quorum: q, Stored: stored, Weight: weight, Minimum: minimum[q], Total: total[q]})
		}
	}
	return out, nil
}

// QuorumOperators reads the complete operator set of each quorum at block (0 = the latest block),
// each sorted ascending by address, in one OperatorStateRetriever.getOperatorState call.
func (r *Reader) QuorumOperators(ctx context.Context, quorums []uint8, block uint64) (map[uint8][]common.Address, error) {
	out := make(map[uint8][]common.Address, len(quorums))
	if len(quorums) == 0 {
		return out, nil
	}
	block, err := r.resolveBlock(ctx, block)
	if err != nil {
		return nil, err
	}
	if block > 1<<32-1 {
		return nil, fmt.Errorf("read operators of quorums %v: block %d does not fit getOperatorState's uint32", quorums, block)
	}
	c := &call{to: r.c.OperatorStateRetriever, abi: r.abis.osr, method: "getOperatorState",
		args: []any{r.c.RegistryCoordinator, []byte(quorums), uint32(block)}}
	if err := r.batch.exec(ctx, []*call{c}, block); err != nil {
		return nil, fmt.Errorf("read operators of quorums %v at block %d: %w", quorums, block, err)
	}
	vals, err := c.result()
	if err != nil {
		return nil, fmt.Errorf("read operators of quorums %v at block %d: %w", quorums, block, err)
	}
	state := *abi.ConvertType(vals[0], new([][]opstateretriever.OperatorStateRetrieverOperator)).(*[][]opstateretriever.OperatorStateRetrieverOperator)
	if len(state) != len(quorums) {
		return nil, fmt.Errorf("read operators of quorums %v at block %d: got %d lists", quorums, block, len(state))
	}
	for i, q := range quorums {
		ops := make([]common.Address, len(state[i]))
		for j, o := range state[i] {
			ops[j] = o.Operator
		}
		slices.SortFunc(ops, common.Address.Cmp)
		out[q] = ops
	}
	return out, nil
}

// AllOperators reads every operator registered in any quorum at block (0 = the latest block),
// sorted ascending, in two round trips (quorum count, then the operator sets).
func (r *Reader) AllOperators(ctx context.Context, block uint64) ([]common.Address, error) {
	block, err := r.resolveBlock(ctx, block)
	if err != nil {
		return nil, err
	}
	n, err := r.quorumCount(ctx, block)
	if err != nil {
		return nil, err
	}
	quorums := make([]uint8, n)
	for i := range quorums {
		quorums[i] = uint8(i)
	}
	sets, err := r.QuorumOperators(ctx, quorums, block)
	if err != nil {
		return nil, err
	}
	var all []common.Address
	for _, ops := range sets {
		all = append(all, ops...)
	}
	slices.SortFunc(all, common.Address.Cmp)
	return slices.Compact(all), nil
}

// resolveBlock turns 0 into the current block number, so that every round of a read sees the
// same state.
func (r *Reader) resolveBlock(ctx context.Context, block uint64) (uint64, error) {
	return r.batch.resolveBlock(ctx, block)
}

func (r *Reader) quorumCount(ctx context.Context, block uint64) (uint8, error) {
	c := r.rc("quorumCount")
	if err := r.batch.exec(ctx, []*call{c}, block); err != nil {
		return 0, fmt.Errorf("read quorum count at block %d: %w", block, err)
	}
	vals, err := c.result()
	if err != nil {
		return 0, fmt.Errorf("read quorum count at block %d: %w", block, err)
	}
	return vals[0].(uint8), nil
}

func (r *Reader) rc(method string, args ...any) *call {
	return &call{to: r.c.RegistryCoordinator, abi: r.abis.rc, method: method, args: args}
}

func (r *Reader) sr(method string, args ...any) *call {
	return &call{to: r.Contracts().StakeRegistry, abi: r.abis.sr, method: method, args: args}
}

func (r *Reader) ir(method string, args ...any) *call {
	return &call{to: r.Contracts().IndexRegistry, abi: r.abis.ir, method: method, args: args}
}

// operatorInfo is RegistryCoordinator.getOperator's answer.
type operatorInfo struct {
	OperatorId [32]byte
	Status     uint8
}

// bigResult decodes a call returning one unsigned integer of any width.
func bigResult(c *call) (*big.Int, error) {
	vals, err := c.result()
	if err != nil {
		return nil, err
	}
	switch v := vals[0].(type) {
	case *big.Int:
		return v, nil
	case uint8:
		return big.NewInt(int64(v)), nil
	case uint16:
		return big.NewInt(int64(v)), nil
	case uint32:
		return big.NewInt(int64(v)), nil
	case uint64:
		return new(big.Int).SetUint64(v), nil
	}
	return nil, fmt.Errorf("decode %s: got %T, want an integer", c.method, vals[0])
}

// quorumsInBitmap lists the quorums whose bits are set, ascending.
func quorumsInBitmap(bm *big.Int) []uint8 {
	var qs []uint8
	for q := 0; q < bm.BitLen() && q < 256; q++ {
		if bm.Bit(q) == 1 {
			qs = append(qs, uint8(q))
		}
	}
	return qs
}
