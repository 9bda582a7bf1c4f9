package registry

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// DefaultBatchSize is the most eth_calls sent in one JSON-RPC batch request. Providers cap batches
// (geth at 1000 items by default), so larger rounds are split.
const DefaultBatchSize = 500

// ErrAbsent marks a call to a function the deployed contract does not have: it reverted or
// returned nothing. Optional functions are feature-detected this way.
var ErrAbsent = errors.New("function absent or reverted")

// ErrBlockUnavailable marks a read at a block the answering node does not have: behind a load
// balancer, a member lagging the one that reported the head answers "header not found", "unknown
// block" or "missing trie node" for the newest blocks. The same read at the same block succeeds
// once that member catches up or another member answers.
var ErrBlockUnavailable = errors.New("block not available on the answering node")

// Reasons a block is unavailable, as BlockUnavailableReason returns them.
const (
	// UnavailableBlock: the node does not know the block ("header not found", "unknown block",
	// "block not found").
	UnavailableBlock = "unknown_block"
	// UnavailableState: the node knows the block but lacks its state ("missing trie node").
	UnavailableState = "missing_state"
)

// UnavailableReasons lists every BlockUnavailableReason, for metrics initialised at zero.
var UnavailableReasons = []string{UnavailableBlock, UnavailableState}

// BlockUnavailableReason classifies an error a node gave for a read at a block: UnavailableBlock,
// UnavailableState, or "" when the error says nothing of the kind (a revert never does, whatever
// its reason string).
func BlockUnavailableReason(err error) string {
	if err == nil || IsRevert(err) {
		return ""
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "missing trie node"):
		return UnavailableState
	case strings.Contains(msg, "header not found"), strings.Contains(msg, "unknown block"), strings.Contains(msg, "block not found"):
		return UnavailableBlock
	}
	return ""
}

// call is one eth_call of a batch: the request, then its raw answer or error.
type call struct {
	to     common.Address
	abi    *abi.ABI
	method string
	args   []any

	out hexutil.Bytes
	err error
}

// result unpacks the answer. A revert or an empty answer (no such function, or no code) is
// ErrAbsent-wrapped; any other error is returned as is.
func (c *call) result() ([]any, error) {
	if c.err != nil {
		if IsRevert(c.err) {
			return nil, fmt.Errorf("%s on %s: %w: %v", c.method, c.to, ErrAbsent, c.err)
		}
		return nil, fmt.Errorf("%s on %s: %w", c.method, c.to, c.err)
	}
	if len(c.out) == 0 {
		return nil, fmt.Errorf("%s on %s: %w: empty answer", c.method, c.to, ErrAbsent)
	}
	vals, err := c.abi.Unpack(c.method, c.out)
	if err != nil {
		return nil, fmt.Errorf("decode %s on %s: %w", c.method, c.to, err)
	}
	if len(vals) == 0 {
		return nil, fmt.Errorf("decode %s on %s: no values", c.method, c.to)
	}
	return vals, nil
}

// IsRevert reports whether err is an execution revert as JSON-RPC nodes report it (error code 3,
// or an "execution reverted" message), from eth_call or eth_estimateGas.
func IsRevert(err error) bool {
	if err == nil {
		return false
	}
	var rerr rpc.Error
	if errors.As(err, &rerr) && rerr.ErrorCode() == 3 {
		return true
	}
	// Nodes other than geth word it differently ("VM Exception while processing transaction: revert").
	return strings.Contains(strings.ToLower(err.Error()), "revert")
}

// batcher sends eth_calls in JSON-RPC batches of at most size calls and counts what it sends.
type batcher struct {
	rpc   *rpc.Client
	size  int
	stats *counter
}

// exec sends calls at block, filling each call's out or err. The returned error is a transport or
// batch-level failure; per-call failures (reverts) stay on the calls. A call answered as if the
// block did not exist fails the whole batch with ErrBlockUnavailable: the request went to a node
// without that block, and none of its answers can be trusted to be of it.
func (b *batcher) exec(ctx context.Context, calls []*call, block uint64) error {
	tag := hexutil.EncodeUint64(block)
	for start := 0; start < len(calls); start += b.size {
		chunk := calls[start:min(start+b.size, len(calls))]
		elems := make([]rpc.BatchElem, len(chunk))
		for i, c := range chunk {
			data, err := c.abi.Pack(c.method, c.args...)
			if err != nil {
				return fmt.Errorf("encode %s: %w", c.method, err)
			}
			c.out, c.err = nil, nil
			elems[i] = rpc.BatchElem{
				Method: "eth_call",
				Args:   []any{callArgs{To: c.to, Data: data}, tag},
				Result: &c.out,
			}
			b.stats.call(c.method)
		}
		b.stats.request()
		if err := b.rpc.BatchCallContext(ctx, elems); err != nil {
			if BlockUnavailableReason(err) != "" {
				return fmt.Errorf("batch of %d eth_calls at block %d: %w: %w", len(elems), block, ErrBlockUnavailable, err)
			}
			return fmt.Errorf("batch of %d eth_calls at block %d: %w", len(elems), block, err)
		}
		for i, e := range elems {
			if BlockUnavailableReason(e.Error) != "" {
				return fmt.Errorf("%s: %w: %w", chunk[i].method, ErrBlockUnavailable, e.Error)
			}
			chunk[i].err = e.Error
		}
	}
	return nil
}

// callArgs is the transaction object of eth_call.
type callArgs struct {
	To   common.Address `json:"to"`
	Data hexutil.Bytes  `json:"data"`
}

// Stats counts what a Reader sent: requests are HTTP round trips (a batch is one), calls are
// counted by contract method or JSON-RPC method.
type Stats struct {
	Requests int
	Calls    map[string]int
}

// TotalCalls is the number of calls of every method.
func (s Stats) TotalCalls() int {
	n := 0
	for _, c := range s.Calls {
		n += c
	}
	return n
}

// counter is the mutable side of Stats, safe for concurrent use.
type counter struct {
	mu       sync.Mutex
	requests int
	calls    map[string]int
}

func newCounter() *counter { return &counter{calls: map[string]int{}} }

func (c *counter) request() {
	c.mu.Lock()
	c.requests++
	c.mu.Unlock()
}

func (c *counter) call(method string) {
	c.mu.Lock()
	c.calls[method]++
	c.mu.Unlock()
}

func (c *counter) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Requests: c.requests, Calls: maps.Clone(c.calls)}
}

// resolveBlock turns 0 into the current block number, so that every round of a read sees the
// same state.
func (b *batcher) resolveBlock(ctx context.Context, block uint64) (uint64, error) {
	if block != 0 {
		return block, nil
	}
	var head hexutil.Uint64
	b.stats.request()
	b.stats.call("eth_blockNumber")
	if err := b.rpc.CallContext(ctx, &head, "eth_blockNumber"); err != nil {
		return 0, fmt.Errorf("read block number: %w", err)
	}
	return uint64(head), nil
}
