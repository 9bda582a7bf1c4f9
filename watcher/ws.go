package watcher

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/avs-sync/avs-sync/internal/backoff"
)

// dialTimeout bounds the websocket handshake, which a black-holed address would otherwise stretch
// to the operating system's TCP timeout.
const dialTimeout = 10 * time.Second

// wsNote tells Run's loop to look at the chain now: a subscription was (re)established, so what
// an outage hid must be read; a head arrived; or the node withdrew logs of ours in a
// reorganisation. Notes merge while the loop is busy, so the subscription is always drained.
type wsNote struct {
	// head is the newest head announced, if any.
	head *types.Header
}

// followWS keeps a websocket subscription alive, re-establishing it with capped exponential
// backoff, until ctx ends. While it is down, Run's loop reads the head over HTTP every
// PollInterval.
func (w *Watcher) followWS(ctx context.Context, notes chan<- wsNote) {
	bo := backoff.New(backoff.Policy{First: w.cfg.RetryMin, Max: w.cfg.RetryMax})
	sessions := 0
	warned := false // the current outage has been logged at warning level
	for {
		up, err := w.wsSession(ctx, notes, sessions > 0)
		if ctx.Err() != nil {
			return
		}
		if up {
			sessions++
			warned = false
			bo.Reset()
		}
		d := bo.Next()
		if !warned {
			w.log.Warn("websocket subscription down; reading over HTTP until it is back", "err", err, "retry_in", d)
			warned = true
		} else {
			w.log.Debug("websocket still down", "err", err, "retry_in", d)
		}
		select {
		case <-ctx.Done():
			return
		case <-w.after(d):
		}
	}
}

// wsSession dials the websocket, subscribes to new heads and our logs, and forwards what they
// report until the connection fails or ctx ends. up reports that the subscriptions were made.
func (w *Watcher) wsSession(ctx context.Context, notes chan<- wsNote, reconnect bool) (up bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	client, err := ethclient.DialContext(dctx, w.cfg.WSURL)
	cancel()
	if err != nil {
		return false, fmt.Errorf("dial websocket: %w", err)
	}
	defer client.Close()

	heads := make(chan *types.Header, 16)
	hsub, err := client.SubscribeNewHead(ctx, heads)
	if err != nil {
		return false, fmt.Errorf("subscribe to new heads: %w", err)
	}
	defer hsub.Unsubscribe()
	logs := make(chan types.Log, 64)
	lsub, err := client.SubscribeFilterLogs(ctx, w.decoder().liveQuery(), logs)
	if err != nil {
		return false, fmt.Errorf("subscribe to logs: %w", err)
	}
	defer lsub.Unsubscribe()

	w.setWSLive(true, reconnect)
	defer w.setWSLive(false, false)
	if reconnect {
		w.log.Info("websocket subscription re-established; backfilling")
	} else {
		w.log.Info("websocket subscription established")
	}

	pending, has := wsNote{}, true // the first note makes the loop backfill
	for {
		var send chan<- wsNote // nil, never ready, while there is nothing to tell
		if has {
			send = notes
		}
		select {
		case <-ctx.Done():
			return true, nil
		case err := <-hsub.Err():
			return true, fmt.Errorf("new heads subscription: %w", orClosed(err))
		case err := <-lsub.Err():
			return true, fmt.Errorf("logs subscription: %w", orClosed(err))
		case h := <-heads:
			pending.head, has = h, true
		case l := <-logs:
			// Only withdrawals matter here: the logs themselves are read by range (see the
			// package comment).
			if l.Removed {
				has = true
			}
		case send <- pending:
			pending, has = wsNote{}, false
		}
	}
}

// orClosed names the nil error a subscription reports when it ends without one.
func orClosed(err error) error {
	if err == nil {
		return errors.New("subscription closed")
	}
	return err
}
