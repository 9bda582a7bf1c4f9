package rpcproxy

import (
	"encoding/json"
	"fmt"
	"time"
)

// Fault is one way the node misbehaves, as its clients see it through the proxy. The selector
// fields (Method, Match, Transport) pick the calls it applies to; every other set field is an
// effect, and several combine (a Delay then an Error, a Lag with a MaxBlockRange).
type Fault struct {
	// Method selects calls by method; "" is every call. "eth_subscription" selects the node's
	// websocket notifications instead (which "" does not).
	Method string
	// Match, when set, further selects calls (or notifications) by their params. It runs with the
	// proxy's lock held: keep it quick.
	Match func(params json.RawMessage) bool
	// Transport limits the fault to "http" or "ws"; "" is both.
	Transport string
	// PerRequest decides once per HTTP request or websocket message, as a load balancer routes:
	// Match sees the first call the other selectors pick, and the fault then applies to every such
	// call of the request (a batch goes wholly to the faulty backend or not at all), counting one
	// of Times.
	PerRequest bool
	// Share, between 0 and 1, applies the fault to that share of the requests it selects, drawn at
	// random for each HTTP request or websocket message (decided per request, as PerRequest): a
	// provider that fails a steady fraction of requests for as long as its bad day lasts. 0 is
	// every request.
	Share float64
	// Times is how many calls (requests, with PerRequest) the fault applies to before it removes
	// itself; 0 is until removed.
	Times int

	// Result answers the call with this result instead of asking the node.
	Result json.RawMessage
	// Error answers the call with this JSON-RPC error instead of asking the node.
	Error *RPCError
	// HTTPStatus answers the whole HTTP request with this status and a load balancer's text page,
	// as a 502/503/429 from a gateway in front of the node. HTTP only.
	HTTPStatus int
	// RetryAfter, with HTTPStatus, sends a Retry-After header of this many whole seconds, as a
	// provider's 429 does.
	RetryAfter time.Duration
	// Delay holds the request (or the notification) this long before it goes on.
	Delay time.Duration
	// Reset drops the connection instead of answering: the HTTP connection with a TCP reset, or the
	// websocket on both sides.
	Reset bool
	// Drop never answers: the HTTP request hangs until the client gives up, a websocket call gets
	// no reply, a notification is not delivered.
	Drop bool
	// Garbage answers with bytes that are not JSON (HTTP status 200).
	Garbage bool
	// Oversize pads the answer with whitespace inside the JSON to at least this many bytes: still a
	// valid reply, only a large one.
	Oversize int
	// Omit removes these fields from the result object (or from each object of an array result),
	// as a node that leaves out what clients expect: a header without baseFeePerGas, a receipt
	// without blockNumber.
	Omit []string

	// MaxBlockRange rejects eth_getLogs over more than this many blocks with the error hosted
	// providers give: "query exceeds max block range N". Applies to eth_getLogs only.
	MaxBlockRange uint64
	// MaxResults rejects eth_getLogs answers of more than this many logs: "query returned more than
	// N results". Applies to eth_getLogs only.
	MaxResults int
	// Lag answers as a backend this many blocks behind the node, such as a load balancer's slow
	// member: eth_blockNumber and "latest" (or "pending") blocks, nonces, balances and calls are
	// those of the older head; blocks, receipts and transactions past it are null; eth_getLogs stops
	// at it.
	Lag uint64
	// FeeMultiplier multiplies the node's fee suggestions: eth_gasPrice, eth_maxPriorityFeePerGas and
	// eth_feeHistory. With Method eth_getBlockByNumber or eth_getBlockByHash it multiplies the
	// blocks' baseFeePerGas instead (their hash then no longer matches their fields).
	FeeMultiplier float64
}

// RPCError is a JSON-RPC error object.
type RPCError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("%s (code %d)", e.Message, e.Code) }

// Error codes the proxy answers with, as hosted providers and geth do.
const (
	// CodeLimitExceeded is the code of the eth_getLogs limits.
	CodeLimitExceeded = -32005
	// CodeServerError is geth's code for a failed call such as an unknown block.
	CodeServerError = -32000
)

// RangeError is the error of a MaxBlockRange fault.
func RangeError(max uint64) *RPCError {
	return &RPCError{Code: CodeLimitExceeded, Message: fmt.Sprintf("query exceeds max block range %d", max)}
}

// ResultsError is the error of a MaxResults fault.
func ResultsError(max int) *RPCError {
	return &RPCError{Code: CodeLimitExceeded, Message: fmt.Sprintf("query returned more than %d results", max)}
}

// entry is an injected fault and what is left of it.
type entry struct {
	id   int
	f    Fault
	left int // calls left when f.Times > 0
}

// selects reports whether the fault's Method, Transport and kind pick a call of method (or, with
// notification, a node notification) on transport; Match is asked apart.
func (f *Fault) selects(method string, params json.RawMessage, transport string, notification bool) bool {
	if f.Transport != "" && f.Transport != transport {
		return false
	}
	if f.HTTPStatus != 0 && transport != "http" {
		return false
	}
	if notification != (f.Method == "eth_subscription") {
		return false
	}
	if f.Method != "" && f.Method != method {
		return false
	}
	if (f.MaxBlockRange > 0 || f.MaxResults > 0) && method != "eth_getLogs" {
		return false
	}
	return true
}

// answers reports whether the fault changes what the node would answer (rather than only when or
// whether the answer comes).
func (f *Fault) answers() bool {
	return f.Result != nil || f.Error != nil || f.Garbage || f.Oversize > 0 || len(f.Omit) > 0 || f.MaxBlockRange > 0 ||
		f.MaxResults > 0 || f.Lag > 0 || f.FeeMultiplier > 0
}
