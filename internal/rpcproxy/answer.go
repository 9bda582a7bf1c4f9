package rpcproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// answer answers calls as their faults say, asking the node (over HTTP, in one batch) for the
// calls no fault answers outright.
func (p *Proxy) answer(ctx context.Context, calls []call) ([]reply, error) {
	replies := make([]reply, len(calls))
	var (
		ask     []message
		askedBy []int
		lagHead = make([]uint64, len(calls))
	)
	var head *uint64
	nodeHead := func() (uint64, error) {
		if head == nil {
			h, err := p.head(ctx)
			if err != nil {
				return 0, err
			}
			head = &h
		}
		return *head, nil
	}
	for i, c := range calls {
		replies[i].id = c.msg.ID
		if f := pick(c.faults, func(f *Fault) bool { return f.Error != nil }); f != nil {
			replies[i].err = f.Error
			continue
		}
		if f := pick(c.faults, func(f *Fault) bool { return f.Result != nil }); f != nil {
			replies[i].result = f.Result
			continue
		}
		params := c.msg.Params
		if lag := maxOf(c.faults, func(f *Fault) uint64 { return f.Lag }); lag > 0 {
			h, err := nodeHead()
			if err != nil {
				return nil, err
			}
			lagHead[i] = h - min(h, lag)
			var now *reply
			params, now = lagParams(c.msg.Method, params, lagHead[i])
			if now != nil {
				now.id = c.msg.ID
				replies[i] = *now
				continue
			}
		}
		if limit := minOf(c.faults, func(f *Fault) uint64 { return f.MaxBlockRange }); limit > 0 {
			from, to, ok, err := logRange(params, nodeHead)
			if err != nil {
				return nil, err
			}
			if ok && to >= from && to-from+1 > limit {
				replies[i].err = RangeError(limit)
				continue
			}
		}
		ask = append(ask, message{Method: c.msg.Method, Params: params})
		askedBy = append(askedBy, i)
	}
	answers, err := p.upstream(ctx, ask)
	if err != nil {
		return nil, err
	}
	for k, a := range answers {
		i := askedBy[k]
		c := calls[i]
		if a.Error != nil {
			replies[i].err = a.Error
			continue
		}
		res := a.Result
		if lagHead[i] > 0 {
			res = lagResult(c.msg.Method, res, lagHead[i])
		}
		if limit := minOf(c.faults, func(f *Fault) uint64 { return uint64(max(f.MaxResults, 0)) }); limit > 0 && c.msg.Method == "eth_getLogs" {
			var logs []json.RawMessage
			if json.Unmarshal(res, &logs) == nil && uint64(len(logs)) > limit {
				replies[i].err = ResultsError(int(limit))
				continue
			}
		}
		for _, f := range c.faults {
			if f.FeeMultiplier > 0 {
				res = inflate(c.msg.Method, f.Method, res, f.FeeMultiplier)
			}
			if len(f.Omit) > 0 {
				res = omit(res, f.Omit)
			}
		}
		replies[i].result = res
	}
	return replies, nil
}

// head asks the node for its block number.
func (p *Proxy) head(ctx context.Context) (uint64, error) {
	got, err := p.upstream(ctx, []message{{Method: "eth_blockNumber", Params: json.RawMessage("[]")}})
	if err != nil {
		return 0, err
	}
	if got[0].Error != nil {
		return 0, fmt.Errorf("node's block number: %w", got[0].Error)
	}
	var s string
	if err := json.Unmarshal(got[0].Result, &s); err != nil {
		return 0, fmt.Errorf("node's block number %s: %w", got[0].Result, err)
	}
	return parseQuantity(s)
}

func pick(faults []Fault, pred func(*Fault) bool) *Fault {
	for i := range faults {
		if pred(&faults[i]) {
			return &faults[i]
		}
	}
	return nil
}

func maxOf(faults []Fault, v func(*Fault) uint64) uint64 {
	var m uint64
	for i := range faults {
		m = max(m, v(&faults[i]))
	}
	return m
}

// minOf is the smallest non-zero value, 0 if none.
func minOf(faults []Fault, v func(*Fault) uint64) uint64 {
	var m uint64
	for i := range faults {
		if x := v(&faults[i]); x > 0 && (m == 0 || x < m) {
			m = x
		}
	}
	return m
}

// blockParam is the index of the block number or tag among a method's params.
var blockParam = map[string]int{
	"eth_getBlockByNumber":                 0,
	"eth_getBlockTransactionCountByNumber": 0,
	"eth_getTransactionCount":              1,
	"eth_getBalance":                       1,
	"eth_getCode":                          1,
	"eth_call":                             1,
	"eth_estimateGas":                      1,
	"eth_feeHistory":                       1,
	"eth_getStorageAt":                     2,
	"eth_getProof":                         2,
}

// lagParams rewrites a call's params for a backend whose head is lagHead, or answers it outright.
func lagParams(method string, params json.RawMessage, lagHead uint64) (json.RawMessage, *reply) {
	old := json.RawMessage(strconv.Quote(quantity(lagHead)))
	if method == "eth_blockNumber" {
		return params, &reply{result: old}
	}
	if method == "eth_getLogs" {
		return lagLogParams(params, lagHead)
	}
	idx, ok := blockParam[method]
	if !ok {
		return params, nil
	}
	var ps []json.RawMessage
	if json.Unmarshal(params, &ps) != nil {
		return params, nil
	}
	if len(ps) <= idx {
		if len(ps) < idx || method == "eth_getBlockByNumber" || method == "eth_feeHistory" {
			return params, nil
		}
		ps = append(ps, old) // a missing block parameter means latest
	}
	var tag string
	if json.Unmarshal(ps[idx], &tag) != nil {
		return params, nil // a block hash object: left to the node
	}
	switch tag {
	case "latest", "pending":
		ps[idx] = old
	case "earliest", "safe", "finalized":
	default:
		n, err := parseQuantity(tag)
		if err != nil || n <= lagHead {
			break
		}
		if method == "eth_getBlockByNumber" || method == "eth_getBlockTransactionCountByNumber" {
			return params, &reply{result: json.RawMessage("null")}
		}
		return params, &reply{err: &RPCError{Code: CodeServerError, Message: "header not found"}}
	}
	out, _ := json.Marshal(ps)
	return out, nil
}

// lagLogParams stops an eth_getLogs filter at lagHead; a range wholly past it has no logs.
func lagLogParams(params json.RawMessage, lagHead uint64) (json.RawMessage, *reply) {
	var ps []map[string]json.RawMessage
	if json.Unmarshal(params, &ps) != nil || len(ps) == 0 || ps[0] == nil {
		return params, nil
	}
	filter := ps[0]
	if _, ok := filter["blockHash"]; ok {
		return params, nil
	}
	bound := func(key string) uint64 {
		var tag string
		if raw, ok := filter[key]; ok && json.Unmarshal(raw, &tag) == nil {
			switch tag {
			case "latest", "pending", "safe", "finalized":
			case "earliest":
				return 0
			default:
				if n, err := parseQuantity(tag); err == nil {
					return min(n, lagHead+1)
				}
			}
		}
		return lagHead
	}
	from, to := bound("fromBlock"), min(bound("toBlock"), lagHead)
	if from > to {
		return params, &reply{result: json.RawMessage("[]")}
	}
	filter["fromBlock"] = json.RawMessage(strconv.Quote(quantity(from)))
	filter["toBlock"] = json.RawMessage(strconv.Quote(quantity(to)))
	out, _ := json.Marshal(ps)
	return out, nil
}

// lagResult hides blocks, receipts and transactions past lagHead.
func lagResult(method string, res json.RawMessage, lagHead uint64) json.RawMessage {
	key := ""
	switch method {
	case "eth_getBlockByHash":
		key = "number"
	case "eth_getTransactionReceipt", "eth_getTransactionByHash":
		key = "blockNumber"
	default:
		return res
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(res, &obj) != nil || obj == nil {
		return res
	}
	var s string
	if json.Unmarshal(obj[key], &s) != nil {
		return res
	}
	if n, err := parseQuantity(s); err == nil && n > lagHead {
		return json.RawMessage("null")
	}
	return res
}

// logRange is the block range of an eth_getLogs call, tags resolved against the node's head; ok is
// false for a filter by block hash or params that do not parse.
func logRange(params json.RawMessage, head func() (uint64, error)) (from, to uint64, ok bool, err error) {
	var ps []map[string]json.RawMessage
	if json.Unmarshal(params, &ps) != nil || len(ps) == 0 || ps[0] == nil {
		return 0, 0, false, nil
	}
	if _, byHash := ps[0]["blockHash"]; byHash {
		return 0, 0, false, nil
	}
	resolve := func(key string) (uint64, error) {
		var tag string
		if raw, ok := ps[0][key]; ok && json.Unmarshal(raw, &tag) == nil {
			switch tag {
			case "earliest":
				return 0, nil
			case "latest", "pending", "safe", "finalized":
			default:
				return parseQuantity(tag)
			}
		}
		return head()
	}
	if from, err = resolve("fromBlock"); err != nil {
		return 0, 0, false, err
	}
	if to, err = resolve("toBlock"); err != nil {
		return 0, 0, false, err
	}
	return from, to, true, nil
}

// inflate multiplies the fees in a result by factor: the suggestion itself, eth_feeHistory's base
// fees and rewards, or (selected explicitly) a block's baseFeePerGas.
func inflate(method, selected string, res json.RawMessage, factor float64) json.RawMessage {
	scale := func(raw json.RawMessage) json.RawMessage {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return raw
		}
		n, ok := new(big.Int).SetString(strings.TrimPrefix(s, "0x"), 16)
		if !ok {
			return raw
		}
		f, _ := new(big.Float).Mul(new(big.Float).SetInt(n), big.NewFloat(factor)).Int(nil)
		return json.RawMessage(strconv.Quote("0x" + f.Text(16)))
	}
	switch {
	case method == "eth_gasPrice" || method == "eth_maxPriorityFeePerGas":
		return scale(res)
	case method == "eth_feeHistory":
		var h map[string]json.RawMessage
		if json.Unmarshal(res, &h) != nil || h == nil {
			return res
		}
		var base []json.RawMessage
		if json.Unmarshal(h["baseFeePerGas"], &base) == nil {
			for i := range base {
				base[i] = scale(base[i])
			}
			h["baseFeePerGas"], _ = json.Marshal(base)
		}
		var rewards [][]json.RawMessage
		if json.Unmarshal(h["reward"], &rewards) == nil && rewards != nil {
			for i := range rewards {
				for j := range rewards[i] {
					rewards[i][j] = scale(rewards[i][j])
				}
			}
			h["reward"], _ = json.Marshal(rewards)
		}
		out, _ := json.Marshal(h)
		return out
	case selected == method && (method == "eth_getBlockByNumber" || method == "eth_getBlockByHash"):
		var b map[string]json.RawMessage
		if json.Unmarshal(res, &b) != nil || b == nil || b["baseFeePerGas"] == nil {
			return res
		}
		b["baseFeePerGas"] = scale(b["baseFeePerGas"])
		out, _ := json.Marshal(b)
		return out
	}
	return res
}

// omit removes fields from a result object, or from each object of an array result.
func omit(res json.RawMessage, fields []string) json.RawMessage {
	strip := func(raw json.RawMessage) json.RawMessage {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil || obj == nil {
			return raw
		}
		for _, f := range fields {
			delete(obj, f)
		}
		out, _ := json.Marshal(obj)
		return out
	}
	var arr []json.RawMessage
	if json.Unmarshal(res, &arr) == nil {
		for i := range arr {
			arr[i] = strip(arr[i])
		}
		out, _ := json.Marshal(arr)
		return out
	}
	return strip(res)
}

func quantity(n uint64) string { return "0x" + strconv.FormatUint(n, 16) }

func parseQuantity(s string) (uint64, error) {
	if !strings.HasPrefix(s, "0x") {
		return 0, fmt.Errorf("quantity %q lacks 0x", s)
	}
	return strconv.ParseUint(s[2:], 16, 64)
}
