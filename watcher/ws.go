package watcher

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/avs-sync/avs-sync/internal/backoff"
)

// dialTimeout bounds the websocket handshake, which a black-holed address would otherwise stretch
// to the operating system's TCP timeout.
const dialTimeout = 10 * time.Second

// logSettle is how long the logs a subscription delivers are gathered before they go to Run's
// loop: a node sends the logs of one block together, so that they are emitted in one Batch.
const logSettle = 50 * time.Millisecond

// wsNote tells Run's loop what the subscription delivered: that it was (re)established, so what
// an outage hid must be read; logs of ours, added or withdrawn in a reorganisation; or a head,
// while the block time is still being measured. Notes merge while the loop is busy, so the
// subscription is always drained.
type wsNote struct {
	// up is set on the first note of a session.
	up bool
	// head is the newest head announced, if any.
	head *types.Header
	// logs are the logs delivered since the last note, in the order they came.
	logs []types.Log
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
		if errors.Is(err, errResubscribe) {
			w.log.Info("subscribing to the logs of the moved stake registry")
			continue
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

// wsSession dials the websocket, subscribes to our logs (and to new heads while the block time is
// not known yet) and forwards what they deliver until the connection fails or ctx ends. up
// reports that the subscriptions were made.
func (w *Watcher) wsSession(ctx context.Context, notes chan<- wsNote, reconnect bool) (up bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	client, err := ethclient.DialContext(dctx, w.cfg.WSURL)
	cancel()
	if err != nil {
		return false, fmt.Errorf("dial websocket: %w", err)
	}
	defer client.Close()

	logs := make(chan types.Log, 64)
	lsub, err := client.SubscribeFilterLogs(ctx, w.decoder().liveQuery(), logs)
	if err != nil {
		return false, fmt.Errorf("subscribe to logs: %w", err)
	}
	defer lsub.Unsubscribe()
	// New heads only measure the block time: each notification is a whole header, about a
	// kilobyte that a provider bills by the byte, so the subscription ends once it is known.
	var (
		heads chan *types.Header
		hsub  ethereum.Subscription
		hErr  <-chan error
	)
	if w.wantHeads.Load() {
		heads = make(chan *types.Header, 16)
		if hsub, err = client.SubscribeNewHead(ctx, heads); err != nil {
			return false, fmt.Errorf("subscribe to new heads: %w", err)
		}
		defer func() {
			if hsub != nil {
				hsub.Unsubscribe()
			}
		}()
		hErr = hsub.Err()
	}

	w.setWSLive(true, reconnect)
	defer w.setWSLive(false, false)
	if reconnect {
		w.log.Info("websocket subscription re-established; backfilling")
	} else {
		w.log.Info("websocket subscription established")
	}

	pending, has := wsNote{up: true}, true // the first note makes the loop backfill
	var settle <-chan time.Time            // set while logs are being gathered
	for {
		var send chan<- wsNote // nil, never ready, while there is nothing to tell
		if has && settle == nil {
			send = notes
		}
		select {
		case <-ctx.Done():
			return true, nil
		case err := <-hErr:
			return true, fmt.Errorf("new heads subscription: %w", orClosed(err))
		case err := <-lsub.Err():
			return true, fmt.Errorf("logs subscription: %w", orClosed(err))
		case <-w.resubscribe:
			return true, errResubscribe
		case h := <-heads:
			pending.head, has = h, true
			if !w.wantHeads.Load() {
				hsub.Unsubscribe()
				hsub, heads, hErr = nil, nil, nil
				w.log.Debug("block time known; new heads subscription ended")
			}
		case l := <-logs:
			if len(pending.logs) == 0 && settle == nil {
				settle = time.After(logSettle)
			}
			pending.logs, has = append(pending.logs, l), true
		case <-settle:
			settle = nil
		case send <- pending:
			pending, has = wsNote{}, false
		}
	}
}

// errResubscribe ends a websocket session whose log subscription filters on an address the
// watcher no longer follows.
var errResubscribe = errors.New("the stake registry moved")

// orClosed names the nil error a subscription reports when it ends without one.
func orClosed(err error) error {
	if err == nil {
		return errors.New("subscription closed")
	}
	return err
}
