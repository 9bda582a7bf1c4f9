package devnet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// RPCMeter is a JSON-RPC proxy in front of a node that counts what goes through it, for measuring
// a client's load on its node. HTTP requests are forwarded as they are and counted by round trip
// and by call (each element of a batch is a call). Websocket connections are relayed message by
// message: the client's calls are counted by method, the node's subscription notifications by
// subscription kind (newHeads, logs).
type RPCMeter struct {
	// HTTPURL and WSURL are where clients connect instead of the node.
	HTTPURL string
	WSURL   string

	upHTTP, upWS string
	client       *http.Client
	ln           net.Listener
	srv          *http.Server
	served       chan struct{}

	mu     sync.Mutex
	counts RPCCounts
	// subs maps a live subscription id to its kind, learnt from the node's answer to eth_subscribe;
	// asked maps a pending eth_subscribe's request id to its kind.
	subs  map[string]string
	asked map[string]string
	conns map[*websocket.Conn]struct{}
	wg    sync.WaitGroup
}

// RPCCounts is what an RPCMeter saw.
type RPCCounts struct {
	// HTTPRequests counts HTTP round trips; HTTPCalls the calls in them by method.
	HTTPRequests int            `json:"http_requests"`
	HTTPCalls    map[string]int `json:"http_calls"`
	// WSCalls counts the calls clients sent over websockets, by method.
	WSCalls map[string]int `json:"ws_calls"`
	// WSNotifications counts the subscription messages the node pushed, by subscription kind.
	WSNotifications map[string]int `json:"ws_notifications"`
}

// NewRPCMeter starts a meter on a free loopback port relaying to the node at httpURL and, unless
// wsURL is empty, wsURL. Close stops it.
func NewRPCMeter(httpURL, wsURL string) (*RPCMeter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start RPC meter: %w", err)
	}
	m := &RPCMeter{
		HTTPURL: "http://" + ln.Addr().String(),
		upHTTP:  httpURL,
		upWS:    wsURL,
		client:  &http.Client{Timeout: time.Minute},
		ln:      ln,
		served:  make(chan struct{}),
		counts:  newRPCCounts(),
		subs:    map[string]string{},
		asked:   map[string]string{},
		conns:   map[*websocket.Conn]struct{}{},
	}
	if wsURL != "" {
		m.WSURL = "ws://" + ln.Addr().String()
	}
	m.srv = &http.Server{Handler: http.HandlerFunc(m.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(m.served)
		_ = m.srv.Serve(ln)
	}()
	return m, nil
}

func newRPCCounts() RPCCounts {
	return RPCCounts{HTTPCalls: map[string]int{}, WSCalls: map[string]int{}, WSNotifications: map[string]int{}}
}

// Counts returns a copy of the counts so far.
func (m *RPCMeter) Counts() RPCCounts {
	m.mu.Lock()
	defer m.mu.Unlock()
	return RPCCounts{
		HTTPRequests:    m.counts.HTTPRequests,
		HTTPCalls:       maps.Clone(m.counts.HTTPCalls),
		WSCalls:         maps.Clone(m.counts.WSCalls),
		WSNotifications: maps.Clone(m.counts.WSNotifications),
	}
}

// Close stops the meter and drops every relayed websocket connection.
func (m *RPCMeter) Close() error {
	err := m.srv.Close() // hijacked websocket connections are not the server's any more
	<-m.served
	m.mu.Lock()
	for c := range m.conns {
		c.Close()
	}
	m.mu.Unlock()
	m.wg.Wait()
	return err
}

func (m *RPCMeter) serve(w http.ResponseWriter, r *http.Request) {
	if websocket.IsWebSocketUpgrade(r) {
		m.relayWS(w, r)
		return
	}
	m.forwardHTTP(w, r)
}

// forwardHTTP counts one HTTP request and forwards it to the node.
func (m *RPCMeter) forwardHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	methods := requestMethods(body)
	m.mu.Lock()
	m.counts.HTTPRequests++
	for _, name := range methods {
		m.counts.HTTPCalls[name]++
	}
	m.mu.Unlock()

	req, err := http.NewRequestWithContext(r.Context(), r.Method, m.upHTTP, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	resp, err := m.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// relayWS connects to the node's websocket and relays messages both ways until either side closes.
func (m *RPCMeter) relayWS(w http.ResponseWriter, r *http.Request) {
	if m.upWS == "" {
		http.Error(w, "no websocket upstream", http.StatusNotFound)
		return
	}
	up, _, err := websocket.DefaultDialer.DialContext(r.Context(), m.upWS, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	down, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		up.Close()
		return
	}
	if !m.track(up, down) {
		return
	}
	go m.pump(down, up, m.countClientMessage)
	go m.pump(up, down, m.countNodeMessage)
}

// track registers a relayed pair, whose two pumps the caller then starts, so that Close can drop
// it and wait for them; false if the meter is closing.
func (m *RPCMeter) track(conns ...*websocket.Conn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-m.served:
		for _, c := range conns {
			c.Close()
		}
		return false
	default:
	}
	for _, c := range conns {
		m.conns[c] = struct{}{}
	}
	m.wg.Add(2)
	return true
}

// pump copies messages from src to dst, counting each, and closes both when either fails.
func (m *RPCMeter) pump(src, dst *websocket.Conn, count func([]byte)) {
	defer m.wg.Done()
	defer func() {
		src.Close()
		dst.Close()
		m.mu.Lock()
		delete(m.conns, src)
		delete(m.conns, dst)
		m.mu.Unlock()
	}()
	for {
		kind, msg, err := src.ReadMessage()
		if err != nil {
			return
		}
		count(msg)
		if err := dst.WriteMessage(kind, msg); err != nil {
			return
		}
	}
}

// rpcMessage is the part of a JSON-RPC request, answer or notification the meter reads.
type rpcMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
}

func (m *RPCMeter) countClientMessage(msg []byte) {
	for _, c := range decodeMessages(msg) {
		m.mu.Lock()
		m.counts.WSCalls[c.Method]++
		if c.Method == "eth_subscribe" {
			m.asked[string(c.ID)] = subscriptionKind(c.Params)
		}
		m.mu.Unlock()
	}
}

func (m *RPCMeter) countNodeMessage(msg []byte) {
	for _, c := range decodeMessages(msg) {
		m.mu.Lock()
		switch {
		case c.Method == "eth_subscription":
			var p struct {
				Subscription string `json:"subscription"`
			}
			_ = json.Unmarshal(c.Params, &p)
			kind, ok := m.subs[p.Subscription]
			if !ok {
				kind = "unknown"
			}
			m.counts.WSNotifications[kind]++
		case c.Method == "":
			if kind, ok := m.asked[string(c.ID)]; ok {
				delete(m.asked, string(c.ID))
				var id string
				if json.Unmarshal(c.Result, &id) == nil {
					m.subs[id] = kind
				}
			}
		}
		m.mu.Unlock()
	}
}

// requestMethods lists the methods of a request body, one per call; a body that does not parse
// counts as one call of "invalid".
func requestMethods(body []byte) []string {
	msgs := decodeMessages(body)
	if len(msgs) == 0 {
		return []string{"invalid"}
	}
	out := make([]string, len(msgs))
	for i, c := range msgs {
		out[i] = c.Method
	}
	return out
}

// decodeMessages reads one JSON-RPC message or a batch of them.
func decodeMessages(b []byte) []rpcMessage {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var batch []rpcMessage
		if json.Unmarshal(b, &batch) != nil {
			return nil
		}
		return batch
	}
	var one rpcMessage
	if json.Unmarshal(b, &one) != nil {
		return nil
	}
	return []rpcMessage{one}
}

// subscriptionKind is the first parameter of eth_subscribe: "newHeads", "logs", ...
func subscriptionKind(params json.RawMessage) string {
	var ps []json.RawMessage
	if json.Unmarshal(params, &ps) != nil || len(ps) == 0 {
		return "unknown"
	}
	var kind string
	if json.Unmarshal(ps[0], &kind) != nil {
		return "unknown"
	}
	return kind
}

// Sub returns c minus an earlier snapshot.
func (c RPCCounts) Sub(earlier RPCCounts) RPCCounts {
	out := newRPCCounts()
	out.HTTPRequests = c.HTTPRequests - earlier.HTTPRequests
	sub := func(dst, now, then map[string]int) {
		for k, v := range now {
			if d := v - then[k]; d != 0 {
				dst[k] = d
			}
		}
	}
	sub(out.HTTPCalls, c.HTTPCalls, earlier.HTTPCalls)
	sub(out.WSCalls, c.WSCalls, earlier.WSCalls)
	sub(out.WSNotifications, c.WSNotifications, earlier.WSNotifications)
	return out
}

// Calls is the number of calls over both transports.
func (c RPCCounts) Calls() int { return sum(c.HTTPCalls) + sum(c.WSCalls) }

// Requests is the number of requests clients made: HTTP round trips and websocket calls.
func (c RPCCounts) Requests() int { return c.HTTPRequests + sum(c.WSCalls) }

// Notifications is the number of subscription messages pushed.
func (c RPCCounts) Notifications() int { return sum(c.WSNotifications) }

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
