package rpcproxy

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

// wsConn is one side of a relayed websocket; writes are serialised, as gorilla/websocket requires.
type wsConn struct {
	c *websocket.Conn
	// client is true for the client's side, false for the node's.
	client bool
	mu     sync.Mutex
}

func (c *wsConn) write(kind int, msg []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c.WriteMessage(kind, msg)
}

// close drops the connection; safe to call concurrently with reads and writes, and more than once.
func (c *wsConn) close() { _ = c.c.Close() }

// relayWS connects to the node's websocket and relays messages both ways until either side closes.
func (p *Proxy) relayWS(w http.ResponseWriter, r *http.Request) {
	if p.upWS == "" {
		http.Error(w, "no websocket upstream", http.StatusNotFound)
		return
	}
	upc, _, err := websocket.DefaultDialer.DialContext(r.Context(), p.upWS, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	downc, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		upc.Close()
		return
	}
	up, down := &wsConn{c: upc}, &wsConn{c: downc, client: true}
	if !p.track(up, down) {
		return
	}
	ctx, cancel := context.WithCancel(p.ctx)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			up.close()
			down.close()
			p.mu.Lock()
			delete(p.conns, up)
			delete(p.conns, down)
			p.mu.Unlock()
		})
	}
	go func() {
		defer p.wg.Done()
		defer stop()
		p.pumpCalls(ctx, down, up)
	}()
	go func() {
		defer p.wg.Done()
		defer stop()
		p.pumpNode(ctx, up, down)
	}()
}

// track registers a relayed pair, whose two pumps the caller then starts, so that Close can drop
// it and wait for them; false if the proxy is closing.
func (p *Proxy) track(up, down *wsConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		up.close()
		down.close()
		return false
	}
	p.conns[up], p.conns[down] = down, up
	p.wg.Add(2)
	return true
}

// pumpCalls relays the client's messages to the node, handing those a fault selects to answerWS.
func (p *Proxy) pumpCalls(ctx context.Context, down, up *wsConn) {
	for {
		kind, msg, err := down.c.ReadMessage()
		if err != nil {
			return
		}
		msgs, batch := decodeMessages(msg)
		p.mu.Lock()
		for _, c := range msgs {
			p.counts.WSCalls[c.Method]++
			if c.Method == "eth_subscribe" {
				p.asked[string(c.ID)] = subscriptionKind(c.Params)
			}
		}
		calls := p.selectFaults(msgs, "ws")
		p.mu.Unlock()
		if !faulty(calls) {
			if err := up.write(kind, msg); err != nil {
				return
			}
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.answerWS(ctx, down, up, kind, msg, calls, batch)
		}()
	}
}

// answerWS answers one websocket message as its faults say.
func (p *Proxy) answerWS(ctx context.Context, down, up *wsConn, kind int, msg []byte, calls []call, batch bool) {
	if !sleep(ctx, p.ctx, maxDelay(calls)) {
		return
	}
	switch {
	case anyFault(calls, func(f *Fault) bool { return f.Reset }):
		down.close()
		up.close()
		return
	case anyFault(calls, func(f *Fault) bool { return f.Drop }):
		return
	case !anyFault(calls, (*Fault).answers):
		_ = up.write(kind, msg)
		return
	}
	// Subscriptions live on the node's websocket: those the faults do not answer go there.
	var rest []call
	for _, c := range calls {
		sub := c.msg.Method == "eth_subscribe" || c.msg.Method == "eth_unsubscribe"
		if sub && pick(c.faults, func(f *Fault) bool { return f.Error != nil || f.Result != nil }) == nil {
			b, _ := json.Marshal(c.msg)
			_ = up.write(websocket.TextMessage, b)
			continue
		}
		rest = append(rest, c)
	}
	if len(rest) == 0 {
		return
	}
	replies, err := p.answer(ctx, rest)
	if err != nil {
		replies = make([]reply, len(rest))
		for i, c := range rest {
			replies[i] = reply{id: c.msg.ID, err: &RPCError{Code: -32603, Message: "proxy: " + err.Error()}}
		}
	}
	_ = down.write(websocket.TextMessage, shape(rest, encodeReplies(replies, batch)))
}

// pumpNode relays the node's messages to the client, applying the faults that select
// notifications (Method "eth_subscription").
func (p *Proxy) pumpNode(ctx context.Context, up, down *wsConn) {
	for {
		kind, msg, err := up.c.ReadMessage()
		if err != nil {
			return
		}
		msgs, _ := decodeMessages(msg)
		var faults []Fault
		sized := false
		p.mu.Lock()
		for _, c := range msgs {
			switch {
			case c.Method == "eth_subscription":
				var n struct {
					Subscription string `json:"subscription"`
				}
				_ = json.Unmarshal(c.Params, &n)
				sub, ok := p.subs[n.Subscription]
				if !ok {
					sub = "unknown"
				}
				p.counts.WSNotifications[sub]++
				if !sized {
					// A message's bytes go to the kind of its first notification.
					p.counts.WSNotificationBytes[sub] += len(msg)
					sized = true
				}
				faults = append(faults, p.take(c.Method, c.Params, "ws", true)...)
			case c.Method == "":
				if sub, ok := p.asked[string(c.ID)]; ok {
					delete(p.asked, string(c.ID))
					var id string
					if json.Unmarshal(c.Result, &id) == nil {
						p.subs[id] = sub
					}
				}
			}
		}
		p.mu.Unlock()
		if len(faults) > 0 {
			calls := []call{{faults: faults}}
			if !sleep(ctx, p.ctx, maxDelay(calls)) {
				return
			}
			switch {
			case anyFault(calls, func(f *Fault) bool { return f.Reset }):
				return
			case anyFault(calls, func(f *Fault) bool { return f.Drop }):
				continue
			}
			msg = shape(calls, msg)
		}
		if err := down.write(kind, msg); err != nil {
			return
		}
	}
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
