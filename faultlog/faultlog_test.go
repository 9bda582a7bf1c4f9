package faultlog

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestFault(t *testing.T) {
	// Each step is a success ("ok") or failure ("fail") at a second; want are the lines written.
	type step struct {
		at   int
		fail bool
	}
	fails := func(from, to, every int) []step {
		var s []step
		for i := from; i <= to; i += every {
			s = append(s, step{i, true})
		}
		return s
	}
	for _, tt := range []struct {
		name  string
		steps []step
		want  []string
	}{
		{"no failure, no line", []step{{0, false}, {100, false}}, nil},
		{"one failure, then quiet", []step{{0, true}, {30, false}, {61, false}, {200, false}},
			[]string{"node requests failing", "node requests succeeding again"}},
		{"a failure a second for five minutes: a line a minute",
			append(fails(0, 300, 1), step{400, false}),
			[]string{"node requests failing", "node requests still failing", "node requests still failing", "node requests still failing",
				"node requests still failing", "node requests still failing", "node requests succeeding again"}},
		{"successes between failures do not end the fault", []step{{0, true}, {1, false}, {2, true}, {3, false}, {30, true}, {40, false}},
			[]string{"node requests failing"}},
		{"a second fault after the first cleared", []step{{0, true}, {100, false}, {200, true}},
			[]string{"node requests failing", "node requests succeeding again", "node requests failing"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			var now time.Time
			f := New(slog.New(slog.NewTextHandler(&buf, nil)), "node requests", time.Minute, func() time.Time { return now })
			for _, s := range tt.steps {
				now = time.Unix(int64(s.at), 0)
				if s.fail {
					f.Fail(errors.New("502 Bad Gateway"))
				} else {
					f.OK()
				}
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				if line == "" {
					continue
				}
				i := strings.Index(line, `msg="`)
				got = append(got, strings.SplitN(line[i+5:], `"`, 2)[0])
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("lines:\n%s\nwant %q", buf.String(), tt.want)
			}
		})
	}
}

func TestCut(t *testing.T) {
	long := strings.Repeat("<html>", 1000)
	if got := Cut(long); len(got) > MaxErrText+len("…(cut)") || !strings.HasSuffix(got, "…(cut)") {
		t.Errorf("Cut of %d bytes: %d bytes %q", len(long), len(got), got)
	}
	if got := Cut("short"); got != "short" {
		t.Errorf("Cut(short) = %q", got)
	}
	// A URL the limit falls in is dropped whole: a cut one keeps part of its key, which the log's
	// scrubber (whole URLs, whole path segments) would no longer know.
	prefix := "read AVS contracts: " + strings.Repeat("x", 150) + ` Post "`
	url := "https://node.example/v2/SECRETAPIKEY1234567890"
	if got := Cut(prefix + url + `": connection reset`); strings.Contains(got, "SECRET") || strings.Contains(got, "node.example") {
		t.Errorf("Cut kept part of a URL the limit fell in: %q", got)
	}
	multi := "a" + strings.Repeat("é", 150) // byte 200 is inside a rune
	if got := Cut(multi); !strings.HasSuffix(got, "…(cut)") || strings.ContainsRune(got[:len(got)-len("…(cut)")], 0xFFFD) {
		t.Errorf("Cut split a rune: %q", got)
	}
}
