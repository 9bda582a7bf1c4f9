// Package rpcproxy is a JSON-RPC proxy in front of a real node, for tests: it relays HTTP requests
// (single and batch) and websocket connections (calls and eth_subscribe notifications), counts what
// goes through, and injects faults on the way (errors, 5xx, delays, resets, garbage, provider limits
// on eth_getLogs, a lagging backend, inflated fees), so that a client can be run against a node that
// misbehaves the way hosted providers and load balancers do.
package rpcproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Proxy relays JSON-RPC to a node and injects faults. Calls no fault selects are relayed byte for
// byte; the others are answered by the proxy, asking the node over HTTP where it needs to.
type Proxy struct {
	httpURL, wsURL string
	upHTTP, upWS   string
	client         *http.Client
	ln             net.Listener
	srv            *http.Server
	served         chan struct{}
	// ctx ends when the proxy closes; it bounds delays and dropped requests.
	ctx    context.Context
	cancel context.CancelFunc

	// faulting counts the HTTP requests being answered by a fault now: delayed, dropped, or
	// their answer still being written.
	faulting atomic.Int64

	mu     sync.Mutex
	counts Counts
	// subs maps a live subscription id to its kind, learnt from the node's answer to eth_subscribe;
	// asked maps a pending eth_subscribe's request id to its kind.
	subs  map[string]string
	asked map[string]string
	// conns are the relayed websocket pairs: each connection maps to its peer.
	conns map[*wsConn]*wsConn
	// faults are the injected faults in injection order; ids count up from 1.
	faults []*entry
	lastID int
	// hits counts, by fault id, the calls and notifications each fault applied to, kept after
	// the fault is removed.
	hits map[int]int
	// arrivals are the HTTP requests in the order they came, with their calls, for Busiest.
	arrivals []arrival
	// rand draws the requests a Share fault applies to; called with mu held.
	rand func() float64
	// wg counts the websocket pumps and the goroutines answering websocket calls.
	wg sync.WaitGroup
}

// New starts a proxy on a free loopback port relaying to the node at httpURL and, unless wsURL is
// empty, wsURL. Close stops it.
func New(httpURL, wsURL string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start RPC proxy: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		httpURL: "http://" + ln.Addr().String(),
		upHTTP:  httpURL,
		upWS:    wsURL,
		client:  &http.Client{Timeout: time.Minute},
		ln:      ln,
		served:  make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,
		counts:  newCounts(),
		subs:    map[string]string{},
		asked:   map[string]string{},
		conns:   map[*wsConn]*wsConn{},
		hits:    map[int]int{},
		rand:    rand.Float64,
	}
	if wsURL != "" {
		p.wsURL = "ws://" + ln.Addr().String()
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(p.served)
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

// HTTPURL is where HTTP clients connect instead of the node.
func (p *Proxy) HTTPURL() string { return p.httpURL }

// WSURL is where websocket clients connect instead of the node; "" without a websocket upstream.
func (p *Proxy) WSURL() string { return p.wsURL }

// Counts returns a copy of the counts so far.
func (p *Proxy) Counts() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts.clone()
}

// arrival is when an HTTP request came and how many calls it carried.
type arrival struct {
	at    time.Time
	calls int
}

// Busiest returns the most HTTP calls (each call of a batch counted) that came within any window
// of the given length, as a provider's per-second limit counts them.
func (p *Proxy) Busiest(window time.Duration) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	most, in, first := 0, 0, 0
	for _, a := range p.arrivals {
		in += a.calls
		for a.at.Sub(p.arrivals[first].at) >= window {
			in -= p.arrivals[first].calls
			first++
		}
		most = max(most, in)
	}
	return most
}

// Inject adds a fault and returns its id for Remove.
func (p *Proxy) Inject(f Fault) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastID++
	p.faults = append(p.faults, &entry{id: p.lastID, f: f, left: f.Times})
	return p.lastID
}

// Remove removes the fault with the given id, if it is still there.
func (p *Proxy) Remove(id int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = slices.DeleteFunc(p.faults, func(e *entry) bool { return e.id == id })
}

// Clear removes every fault.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
}

// Hits reports how many calls (and notifications) the fault with the given id has applied to so
// far, also after it was removed or used up: a test can check that the fault it injected was met.
func (p *Proxy) Hits(id int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[id]
}

// Faulting reports how many HTTP requests a fault is answering now (delayed, dropped, or their
// answer still being written): after Clear, the faults' effects last until it is 0.
func (p *Proxy) Faulting() int { return int(p.faulting.Load()) }

// Active reports how many faults are still in force (a fault with Times goes once used up).
func (p *Proxy) Active() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.faults)
}

// ResetWS drops every relayed websocket connection now, as a load balancer restart does, and
// returns how many client connections it dropped. New connections are accepted as before.
func (p *Proxy) ResetWS() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.conns {
		if c.client {
			n++
		}
		c.close()
	}
	return n
}

// Close stops the proxy and drops every relayed websocket connection.
func (p *Proxy) Close() error {
	p.cancel()
	err := p.srv.Close() // hijacked websocket connections are not the server's any more
	<-p.served
	p.mu.Lock()
	for c := range p.conns {
		c.close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if websocket.IsWebSocketUpgrade(r) {
		p.relayWS(w, r)
		return
	}
	p.serveHTTP(w, r)
}

// serveHTTP counts one HTTP request and relays it, or answers it as the faults that select its
// calls say.
func (p *Proxy) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	msgs, batch := decodeMessages(body)
	p.mu.Lock()
	p.counts.HTTPRequests++
	p.arrivals = append(p.arrivals, arrival{at: time.Now(), calls: max(1, len(msgs))})
	if len(msgs) == 0 {
		p.counts.HTTPCalls["invalid"]++
	}
	for _, m := range msgs {
		p.counts.HTTPCalls[m.Method]++
	}
	calls := p.selectFaults(msgs, "http")
	p.mu.Unlock()

	if !faulty(calls) {
		p.relayHTTP(w, r, body)
		return
	}
	p.faulting.Add(1)
	defer p.faulting.Add(-1)
	if !sleep(r.Context(), p.ctx, maxDelay(calls)) {
		return
	}
	switch {
	case anyFault(calls, func(f *Fault) bool { return f.Reset }):
		resetHTTP(w)
		return
	case anyFault(calls, func(f *Fault) bool { return f.Drop }):
		select {
		case <-r.Context().Done():
		case <-p.ctx.Done():
		}
		return
	}
	if f := firstFault(calls, func(f *Fault) bool { return f.HTTPStatus != 0 }); f != nil {
		text := http.StatusText(f.HTTPStatus)
		w.Header().Set("Content-Type", "text/html")
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter.Seconds())))
		}
		w.WriteHeader(f.HTTPStatus)
		fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><center><h1>%d %s</h1></center></body></html>\n",
			f.HTTPStatus, text, f.HTTPStatus, text)
		return
	}
	if !anyFault(calls, (*Fault).answers) {
		p.relayHTTP(w, r, body)
		return
	}
	replies, err := p.answer(r.Context(), calls)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out := shape(calls, encodeReplies(replies, batch))
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

// relayHTTP forwards a request to the node as it is.
func (p *Proxy) relayHTTP(w http.ResponseWriter, r *http.Request, body []byte) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.upHTTP, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	resp, err := p.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// resetHTTP drops the client's connection with a TCP reset.
func resetHTTP(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// call is one JSON-RPC call of a request and the faults that apply to it.
type call struct {
	msg    message
	faults []Fault
}

// selectFaults pairs each call with the faults that select it, using up their Times. p.mu is held.
func (p *Proxy) selectFaults(msgs []message, transport string) []call {
	calls := make([]call, len(msgs))
	decided := map[*entry]bool{}
	for i, m := range msgs {
		calls[i].msg = m
		calls[i].faults = p.pick(m.Method, m.Params, transport, false, decided)
	}
	p.dropUsed()
	return calls
}

// take returns the faults that select a notification, using up their Times. p.mu is held.
func (p *Proxy) take(method string, params json.RawMessage, transport string, notification bool) []Fault {
	out := p.pick(method, params, transport, notification, map[*entry]bool{})
	p.dropUsed()
	return out
}

// pick returns the faults that select a call or notification, counting their Times; decided
// holds what PerRequest faults decided on an earlier call of the same request. p.mu is held.
func (p *Proxy) pick(method string, params json.RawMessage, transport string, notification bool, decided map[*entry]bool) []Fault {
	var out []Fault
	for _, e := range p.faults {
		if !e.f.selects(method, params, transport, notification) {
			continue
		}
		if _, ok := decided[e]; !ok && e.f.Times > 0 && e.left <= 0 {
			continue // used up earlier in this request
		}
		if e.f.PerRequest || e.f.Share > 0 {
			d, ok := decided[e]
			if !ok {
				d = (e.f.Match == nil || e.f.Match(params)) && (e.f.Share <= 0 || p.rand() < e.f.Share)
				decided[e] = d
				if d && e.f.Times > 0 {
					e.left--
				}
			}
			if d {
				out = append(out, e.f)
				p.hits[e.id]++
			}
			continue
		}
		if e.f.Match != nil && !e.f.Match(params) {
			continue
		}
		out = append(out, e.f)
		p.hits[e.id]++
		if e.f.Times > 0 {
			e.left--
		}
	}
	return out
}

// dropUsed removes the faults whose Times are used up. p.mu is held.
func (p *Proxy) dropUsed() {
	p.faults = slices.DeleteFunc(p.faults, func(e *entry) bool { return e.f.Times > 0 && e.left <= 0 })
}

func faulty(calls []call) bool {
	return slices.ContainsFunc(calls, func(c call) bool { return len(c.faults) > 0 })
}

func anyFault(calls []call, pred func(*Fault) bool) bool { return firstFault(calls, pred) != nil }

func firstFault(calls []call, pred func(*Fault) bool) *Fault {
	for i := range calls {
		for j := range calls[i].faults {
			if pred(&calls[i].faults[j]) {
				return &calls[i].faults[j]
			}
		}
	}
	return nil
}

func maxDelay(calls []call) time.Duration {
	var d time.Duration
	for _, c := range calls {
		for _, f := range c.faults {
			d = max(d, f.Delay)
		}
	}
	return d
}

// sleep waits d unless either context ends first; false if one did.
func sleep(a, b context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-a.Done():
		return false
	case <-b.Done():
		return false
	}
}

// garbage is what a Garbage fault answers: an HTML error page with binary noise, not JSON-RPC.
var garbage = []byte("\x00\x1f\x8b<html><body>upstream connect error or disconnect/reset before headers</body></html>\xff\xfe")

// shape applies the faults that change the bytes of the whole answer: Garbage, then Oversize.
func shape(calls []call, out []byte) []byte {
	if anyFault(calls, func(f *Fault) bool { return f.Garbage }) {
		return slices.Clone(garbage)
	}
	if f := firstFault(calls, func(f *Fault) bool { return f.Oversize > 0 }); f != nil && len(out) < f.Oversize && len(out) > 0 {
		padded := make([]byte, 0, f.Oversize)
		padded = append(padded, out[0])
		padded = append(padded, bytes.Repeat([]byte{' '}, f.Oversize-len(out))...)
		return append(padded, out[1:]...)
	}
	return out
}

// message is a JSON-RPC request, answer or notification.
type message struct {
	Version string          `json:"jsonrpc,omitempty"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *RPCError       `json:"error,omitempty"`
}

// reply is an answer to a call: a result (possibly null) or an error.
type reply struct {
	id     json.RawMessage
	result json.RawMessage
	err    *RPCError
}

func (r reply) MarshalJSON() ([]byte, error) {
	id := r.id
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	if r.err != nil {
		return json.Marshal(struct {
			Version string          `json:"jsonrpc"`
			ID      json.RawMessage `json:"id"`
			Error   *RPCError       `json:"error"`
		}{"2.0", id, r.err})
	}
	res := r.result
	if len(res) == 0 {
		res = json.RawMessage("null")
	}
	return json.Marshal(struct {
		Version string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Result  json.RawMessage `json:"result"`
	}{"2.0", id, res})
}

func encodeReplies(replies []reply, batch bool) []byte {
	var out []byte
	if batch {
		out, _ = json.Marshal(replies)
	} else if len(replies) == 1 {
		out, _ = json.Marshal(replies[0])
	}
	return out
}

// decodeMessages reads one JSON-RPC message or a batch of them; nil if b is neither.
func decodeMessages(b []byte) (msgs []message, batch bool) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		if json.Unmarshal(b, &msgs) != nil {
			return nil, true
		}
		return msgs, true
	}
	var one message
	if json.Unmarshal(b, &one) != nil {
		return nil, false
	}
	return []message{one}, false
}

// upstream sends calls to the node over HTTP in one request and returns their answers in order.
func (p *Proxy) upstream(ctx context.Context, calls []message) ([]message, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	req := make([]message, len(calls))
	for i, c := range calls {
		req[i] = message{Version: "2.0", ID: json.RawMessage(fmt.Sprint(i + 1)), Method: c.Method, Params: c.Params}
	}
	body, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, p.upHTTP, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("ask the node: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ask the node: status %s", resp.Status)
	}
	var got []message
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		return nil, fmt.Errorf("read the node's answer: %w", err)
	}
	out := make([]message, len(calls))
	for _, m := range got {
		var i int
		if json.Unmarshal(m.ID, &i) != nil || i < 1 || i > len(calls) {
			return nil, fmt.Errorf("node answered unknown id %s", m.ID)
		}
		out[i-1] = m
	}
	for i, m := range out {
		if m.ID == nil {
			return nil, fmt.Errorf("node did not answer %s", calls[i].Method)
		}
	}
	return out, nil
}
