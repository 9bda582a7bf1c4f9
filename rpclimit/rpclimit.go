// Package rpclimit bounds what goes to and comes from a node over HTTP: the rate of calls (a
// provider's per-second limit) and the size of a reply (go-ethereum's rpc client reads an HTTP
// reply whole, so a node, or a proxy in front of it, answering without end would take the
// process's memory with it; over websockets the rpc client has its own message limit).
package rpclimit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// DefaultMaxReply is the default bound on one reply: go-ethereum's own websocket message limit,
// far above what a 2000-block eth_getLogs or a 500-call batch returns.
const DefaultMaxReply = 32 << 20

// ErrTooLarge is returned when a reply exceeds the limit. Its text says "too large", as the
// providers' own refusals do, so that callers which shrink their requests on such errors shrink.
var ErrTooLarge = errors.New("node reply too large")

// Transport wraps base (nil: http.DefaultTransport) so that reading a reply body of more than max
// bytes fails with ErrTooLarge.
func Transport(base http.RoundTripper, max int64) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, max: max}
}

type transport struct {
	base http.RoundTripper
	max  int64
}

// RoundTrip sends req and bounds the body of its reply.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, resp.ContentLength, t.max)
	}
	resp.Body = &body{rc: resp.Body, left: t.max, max: t.max}
	return resp, nil
}

// body reads at most max bytes, then fails.
type body struct {
	rc   io.ReadCloser
	left int64
	max  int64
}

func (b *body) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Is there more? One byte tells.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, b.max)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *body) Close() error { return b.rc.Close() }
