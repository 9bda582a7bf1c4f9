package rpclimit

import (
	"context"
	"sync"
	"time"
)

// WithReadTimeout returns a context done after d of time spent other than waiting for the rate
// limit (Rate): the node's answers and the caller's own work count, a request's wait for its turn
// under the limit does not. So a read bounded by --reader-timeout-duration is not cut short
// because a large AVS's reads take many seconds' allowance, and a read that is really slow still
// fails. Its Err is context.DeadlineExceeded once the time is spent, as a timeout's is. waiting,
// if not nil, is told when the first of its requests starts waiting for the limit (true) and when
// the last stops (false), so that a loop can tell a wait for the limit from a wedge.
func WithReadTimeout(parent context.Context, d time.Duration, waiting func(bool)) (context.Context, context.CancelFunc) {
	c := &readContext{parent: parent, done: make(chan struct{}), left: d, started: time.Now(), waiting: waiting}
	c.mu.Lock()
	c.timer = time.AfterFunc(d, c.expire)
	c.mu.Unlock()
	stop := context.AfterFunc(parent, func() { c.finish(parent.Err()) })
	return c, func() {
		stop()
		c.finish(context.Canceled)
	}
}

// readContext is a context whose timer stops while any of its requests waits for the limit. It
// carries its parent's values and deadline, and is done when its parent is.
type readContext struct {
	parent context.Context
	done   chan struct{}

	mu  sync.Mutex
	err error
	// left is the time left when the timer last stopped, started when it last started.
	left    time.Duration
	started time.Time
	timer   *time.Timer
	// paused counts requests waiting for the limit; the timer runs only while it is 0.
	paused  int
	waiting func(bool)
	// told is set while waiting was last told true.
	told bool
}

type readContextKey struct{}

// Deadline is when the time left runs out if no request waits for the limit from now on (the
// parent's, when earlier): so that a retry that would sleep past it gives up at once.
func (c *readContext) Deadline() (time.Time, bool) {
	c.mu.Lock()
	own := time.Now().Add(c.left)
	if c.paused == 0 {
		own = c.started.Add(c.left)
	}
	c.mu.Unlock()
	if parent, ok := c.parent.Deadline(); ok && parent.Before(own) {
		return parent, true
	}
	return own, true
}

func (c *readContext) Done() <-chan struct{} { return c.done }

func (c *readContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *readContext) Value(key any) any {
	if key == (readContextKey{}) {
		return c
	}
	return c.parent.Value(key)
}

// finish ends the context with err, once.
func (c *readContext) finish(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err = err
	c.timer.Stop()
	close(c.done)
}

// expire ends the context when its time is spent, unless a request started waiting meanwhile.
func (c *readContext) expire() {
	c.mu.Lock()
	if c.paused > 0 {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.finish(context.DeadlineExceeded)
}

// pause stops the timer while a request waits for the limit; resume, called once after each
// pause, starts it again when none waits.
func (c *readContext) pause() {
	c.mu.Lock()
	c.paused++
	first := c.paused == 1 && c.err == nil
	if first {
		if c.timer.Stop() {
			c.left -= time.Since(c.started)
		} else {
			c.left = 0 // fired: expire finds the pause and leaves the rest to resume
		}
		c.told = c.waiting != nil
		if c.told {
			// Told under the lock, so that the calls of requests waiting at once come in order.
			c.waiting(true)
		}
	}
	c.mu.Unlock()
}

func (c *readContext) resume() {
	c.mu.Lock()
	c.paused--
	if c.paused == 0 && c.err == nil {
		c.started = time.Now()
		c.timer.Reset(max(c.left, 0))
	}
	if c.paused == 0 && c.told {
		c.told = false
		c.waiting(false)
	}
	c.mu.Unlock()
}

// readContextOf is the read context ctx carries, if any.
func readContextOf(ctx context.Context) *readContext {
	c, _ := ctx.Value(readContextKey{}).(*readContext)
	return c
}
