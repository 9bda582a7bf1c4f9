package rpcproxy

import "maps"

// Counts is what a Proxy saw clients send and the node push, faults or not.
type Counts struct {
	// HTTPRequests counts HTTP round trips; HTTPCalls the calls in them by method (each element of
	// a batch is a call; a body that does not parse is one call of "invalid").
	HTTPRequests int            `json:"http_requests"`
	HTTPCalls    map[string]int `json:"http_calls"`
	// WSCalls counts the calls clients sent over websockets, by method.
	WSCalls map[string]int `json:"ws_calls"`
	// WSNotifications counts the subscription messages the node pushed, by subscription kind
	// (newHeads, logs, ...).
	WSNotifications map[string]int `json:"ws_notifications"`
	// WSNotificationBytes counts the bytes of those messages, by subscription kind: what
	// providers bill subscriptions by.
	WSNotificationBytes map[string]int `json:"ws_notification_bytes"`
}

func newCounts() Counts {
	return Counts{HTTPCalls: map[string]int{}, WSCalls: map[string]int{}, WSNotifications: map[string]int{}, WSNotificationBytes: map[string]int{}}
}

func (c Counts) clone() Counts {
	return Counts{
		HTTPRequests:        c.HTTPRequests,
		HTTPCalls:           maps.Clone(c.HTTPCalls),
		WSCalls:             maps.Clone(c.WSCalls),
		WSNotifications:     maps.Clone(c.WSNotifications),
		WSNotificationBytes: maps.Clone(c.WSNotificationBytes),
	}
}

// Sub returns c minus an earlier snapshot.
func (c Counts) Sub(earlier Counts) Counts {
	out := newCounts()
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
	sub(out.WSNotificationBytes, c.WSNotificationBytes, earlier.WSNotificationBytes)
	return out
}

// Calls is the number of calls over both transports.
func (c Counts) Calls() int { return sum(c.HTTPCalls) + sum(c.WSCalls) }

// Requests is the number of requests clients made: HTTP round trips and websocket calls.
func (c Counts) Requests() int { return c.HTTPRequests + sum(c.WSCalls) }

// NotificationBytes is the size of the subscription messages pushed.
func (c Counts) NotificationBytes() int { return sum(c.WSNotificationBytes) }

// Notifications is the number of subscription messages pushed.
func (c Counts) Notifications() int { return sum(c.WSNotifications) }

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
