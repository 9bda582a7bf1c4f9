package e2e

import (
	"cmp"
	"math"
	"math/big"
	"slices"

	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	stakeregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StakeRegistry"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// span is a stretch of chain: blocks after Start up to and including End.
type span struct {
	Start uint64 `json:"start_block"`
	End   uint64 `json:"end_block"`
}

// Blocks is the number of blocks in the span.
func (s span) Blocks() uint64 { return s.End - s.Start }

// position orders events on chain: block, then transaction.
type position struct {
	Block   uint64
	TxIndex uint
}

func (p position) after(q position) bool {
	return p.Block > q.Block || (p.Block == q.Block && p.TxIndex > q.TxIndex)
}

// sentTx is one transaction of avs-sync's sender.
type sentTx struct {
	Block         uint64 `json:"block"`
	BlockGasLimit uint64 `json:"block_gas_limit"`
	Function      string `json:"function"`
	Quorums       []int  `json:"quorums,omitempty"`
	// Operators is how many operators the call lists (every quorum's list, for
	// updateOperatorsForQuorum).
	Operators int    `json:"operators"`
	GasUsed   uint64 `json:"gas_used"`
	Failed    bool   `json:"failed,omitempty"`
}

// senderTxs reads every transaction the sender had mined in s, with its receipt.
func (c *benchChain) senderTxs(s span) []sentTx {
	c.t.Helper()
	rcABI, err := regcoord.ContractRegistryCoordinatorMetaData.GetAbi()
	if err != nil {
		c.t.Fatal(err)
	}
	signer := types.LatestSignerForChainID(big.NewInt(devnet.ChainID))
	var out []sentTx
	for n := s.Start + 1; n <= s.End; n++ {
		b, err := c.eth.BlockByNumber(c.ctx, new(big.Int).SetUint64(n))
		if err != nil {
			c.t.Fatalf("read block %d: %v", n, err)
		}
		for _, tx := range b.Transactions() {
			if from, err := types.Sender(signer, tx); err != nil || from != c.sender {
				continue
			}
			r, err := c.eth.TransactionReceipt(c.ctx, tx.Hash())
			if err != nil {
				c.t.Fatalf("receipt of %s: %v", tx.Hash(), err)
			}
			st := sentTx{Block: n, BlockGasLimit: b.GasLimit(), Function: "other", GasUsed: r.GasUsed, Failed: r.Status != types.ReceiptStatusSuccessful}
			if len(tx.Data()) >= 4 {
				if m, err := rcABI.MethodById(tx.Data()[:4]); err == nil {
					st.Function = m.Name
					st.Operators, st.Quorums = decodeCall(m.Inputs, tx.Data()[4:])
				}
			}
			out = append(out, st)
		}
	}
	return out
}

// decodeCall reads the operators an updateOperators or updateOperatorsForQuorum call lists, and
// the quorums of the latter.
func decodeCall(inputs abi.Arguments, data []byte) (operators int, quorums []int) {
	vals, err := inputs.Unpack(data)
	if err != nil || len(vals) == 0 {
		return 0, nil
	}
	switch v := vals[0].(type) {
	case []common.Address:
		return len(v), nil
	case [][]common.Address:
		for _, q := range v {
			operators += len(q)
		}
		if len(vals) > 1 {
			qs, _ := vals[1].([]byte)
			for _, q := range qs {
				quorums = append(quorums, int(q))
			}
		}
		return operators, quorums
	}
	return 0, nil
}

// stakeUpdatesIn returns the positions of the StakeRegistry's OperatorStakeUpdate logs in s, per
// operator id, in chain order. The StakeRegistry logs only stakes that change.
func (c *benchChain) stakeUpdatesIn(s span) map[[32]byte][]position {
	c.t.Helper()
	srABI, err := stakeregistry.ContractStakeRegistryMetaData.GetAbi()
	if err != nil {
		c.t.Fatal(err)
	}
	logs, err := c.eth.FilterLogs(c.ctx, ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(s.Start + 1),
		ToBlock:   new(big.Int).SetUint64(s.End),
		Addresses: []common.Address{c.env.stakeRegistry()},
		Topics:    [][]common.Hash{{srABI.Events["OperatorStakeUpdate"].ID}},
	})
	if err != nil {
		c.t.Fatalf("read stake updates of blocks %d..%d: %v", s.Start+1, s.End, err)
	}
	out := map[[32]byte][]position{}
	for _, l := range logs {
		id := [32]byte(l.Topics[1])
		out[id] = append(out[id], position{l.BlockNumber, l.TxIndex})
	}
	return out
}

// staleness is how long the effective changes waited for their stored stakes.
type staleness struct {
	Blocks  distribution `json:"blocks"`
	Seconds distribution `json:"seconds"`
	// NeverApplied counts changes with no stake update after them by the end of the window.
	NeverApplied int `json:"never_applied"`
	// Samples are the changes one by one.
	Samples []changeSample `json:"samples"`
}

// changeSample is one effective change and the block its stake update landed in (0: never).
type changeSample struct {
	Operator common.Address `json:"operator"`
	Kind     stepKind       `json:"kind"`
	Block    uint64         `json:"block"`
	Applied  uint64         `json:"applied_block,omitempty"`
}

// stakeHistory is the window's stake updates, looked up by operator address.
type stakeHistory struct {
	c       *benchChain
	updates map[[32]byte][]position
	ids     map[common.Address][32]byte
}

func (c *benchChain) stakeHistory(s span) *stakeHistory {
	return &stakeHistory{c: c, updates: c.stakeUpdatesIn(s), ids: map[common.Address][32]byte{}}
}

// firstAfter is the first stake update of op after p.
func (h *stakeHistory) firstAfter(op common.Address, p position) (position, bool) {
	h.c.t.Helper()
	id, ok := h.ids[op]
	if !ok {
		var err error
		if id, err = h.c.operatorID(op); err != nil {
			h.c.t.Fatalf("operator id of %s: %v", op, err)
		}
		h.ids[op] = id
	}
	i := slices.IndexFunc(h.updates[id], func(u position) bool { return u.after(p) })
	if i < 0 {
		return position{}, false
	}
	return h.updates[id][i], true
}

// measureStaleness matches each effective change with the first stake update of its operator
// after it (later block, or same block and later transaction).
func (c *benchChain) measureStaleness(h *stakeHistory, outcomes []outcome) staleness {
	c.t.Helper()
	var blocks, seconds []float64
	var st staleness
	for _, o := range outcomes {
		if !o.effective() {
			continue
		}
		sample := changeSample{Operator: o.Operator, Kind: o.Step.Kind, Block: o.Block}
		up, ok := h.firstAfter(o.Operator, position{o.Block, o.TxIndex})
		if !ok {
			st.NeverApplied++
			st.Samples = append(st.Samples, sample)
			continue
		}
		sample.Applied = up.Block
		st.Samples = append(st.Samples, sample)
		blocks = append(blocks, float64(up.Block-o.Block))
		if sec, ok := c.clock.since(o.Block, up.Block); ok {
			seconds = append(seconds, sec)
		}
	}
	st.Blocks, st.Seconds = distributionOf(blocks), distributionOf(seconds)
	return st
}

// netZeroUpdated counts the net-zero pairs whose deposit was written to the stored stake before
// the withdrawal undid it: each cost an update, and then another one.
func netZeroUpdated(h *stakeHistory, outcomes []outcome) int {
	n := 0
	for _, o := range outcomes {
		if o.Step.Kind != stepNetZero {
			continue
		}
		if up, ok := h.firstAfter(o.Operator, position{o.Block, o.TxIndex}); ok && up.Block <= o.EndBlock {
			n++
		}
	}
	return n
}

// distribution summarises samples: nearest-rank median and 95th percentile, and maximum.
type distribution struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	P95    float64 `json:"p95"`
	Max    float64 `json:"max"`
	Mean   float64 `json:"mean"`
}

func distributionOf(xs []float64) distribution {
	if len(xs) == 0 {
		return distribution{}
	}
	s := slices.Clone(xs)
	slices.SortFunc(s, cmp.Compare[float64])
	rank := func(p float64) float64 { return s[max(int(math.Ceil(p*float64(len(s))))-1, 0)] }
	var sum float64
	for _, x := range s {
		sum += x
	}
	return distribution{N: len(s), Median: rank(0.5), P95: rank(0.95), Max: s[len(s)-1], Mean: sum / float64(len(s))}
}
