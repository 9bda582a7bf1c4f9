package rpclimit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.URL.Query().Get("n"), &n)
		if r.URL.Query().Get("chunked") != "" {
			w.(http.Flusher).Flush() // no Content-Length: the body's reader must count
		}
		w.Write(bytes.Repeat([]byte{' '}, n))
	}))
	defer srv.Close()
	c := &http.Client{Transport: Transport(nil, 1000)}
	for _, tt := range []struct {
		query string
		ok    bool
	}{
		{"n=1000", true},
		{"n=1001", false},
		{"n=1000&chunked=1", true},
		{"n=5000&chunked=1", false},
	} {
		t.Run(tt.query, func(t *testing.T) {
			resp, err := c.Get(srv.URL + "/?" + tt.query)
			var b []byte
			if err == nil {
				b, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if tt.ok && (err != nil || len(b) == 0) {
				t.Fatalf("%d bytes, %v; want the whole reply", len(b), err)
			}
			if !tt.ok && (!errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "too large")) {
				t.Fatalf("%d bytes, %v; want ErrTooLarge", len(b), err)
			}
		})
	}
}
