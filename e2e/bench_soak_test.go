package e2e

import (
	"fmt"
	"io"
	"maps"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// soakDurationEnv overrides how long the soak runs (default soakDuration).
const soakDurationEnv = "AVS_SYNC_SOAK_DURATION"

// soakDuration is how long `avs-sync watch` runs under steady activity in the soak.
const soakDuration = 30 * time.Minute

// soakSample is one reading of the process and its state directory.
type soakSample struct {
	Seconds    float64          `json:"seconds"`
	Block      uint64           `json:"block"`
	RSSKiB     uint64           `json:"rss_kib"`
	Goroutines float64          `json:"goroutines"`
	FDs        int              `json:"fds"`
	Files      map[string]int64 `json:"state_file_bytes"`
	Sent       uint64           `json:"transactions_sent"`
}

// soakReport is soak.json.
type soakReport struct {
	Duration string       `json:"duration"`
	Deposits int          `json:"deposits"`
	Samples  []soakSample `json:"samples"`
	Notes    []string     `json:"notes"`
}

// Memory, goroutines, file descriptors and state files of a daemon that runs for long under
// steady activity stay flat after warm-up: whatever grows with transactions or operators is
// pruned. Deposits to random operators arrive every second for the whole run (no gas budget, so
// that every one is sent); the process is read from /proc and /metrics at 60 points. After a
// third of the run (warm-up), the last third may not exceed the middle third by more than the
// margins below.
func TestBenchSoak(t *testing.T) {
	requireBench(t)
	dur := soakDuration
	if v := os.Getenv(soakDurationEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			t.Fatalf("%s=%q: want a duration of at least 1m", soakDurationEnv, v)
		}
		dur = d
	}
	ctx := benchContext(t, dur+10*time.Minute)
	pop := devnet.Population{Quorums: 2, Groups: []devnet.Group{{Count: 15, Quorums: []uint8{0}}, {Count: 5, Quorums: []uint8{0, 1}}},
		Stake: func(i int) *big.Int { return milliEth(500 + int64(i*37%500)) }}
	c := newBenchChain(t, ctx, pop, false)
	state := t.TempDir()
	args := append([]string{"watch", "--debounce", benchDebounce.String(), "--eth-ws-url", c.d.WSURL, "--poll-interval", "100ms",
		"--state-dir", state, "--sync-interval", "5m", "--max-gas-per-day", "0"}, c.contractArgs(c.d.HTTPURL)...)
	p := startProc(t, "soak", c.senderKey, args...)
	c.waitReady(p, "start-up check done", func() bool { return watchStrategy().settled(c, p) })

	// Activity: one material deposit a second to a random registered operator.
	stop := make(chan struct{})
	deposits := make(chan int, 1)
	go func() {
		rng := rand.New(rand.NewPCG(benchSeed(t), 7))
		n := 0
		defer func() { deposits <- n }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
			m := c.pop.Registered[rng.IntN(len(c.pop.Registered))]
			if _, err := m.Deposit(ctx, milliEth(5)); err != nil {
				if ctx.Err() == nil {
					t.Errorf("deposit: %v", err)
				}
				return
			}
			n++
		}
	}()

	began := time.Now()
	every := dur / 60
	var samples []soakSample
	for i := 0; i <= 60; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				t.Fatal("soak context ended early")
			case <-time.After(time.Until(began.Add(time.Duration(i) * every))):
			}
		}
		p.alive(t)
		samples = append(samples, c.soakSample(t, p, state, time.Since(began)))
	}
	close(stop)
	n := <-deposits
	p.stop(t)

	report := soakReport{Duration: dur.String(), Deposits: n, Samples: samples}
	third := len(samples) / 3
	mid, last := samples[third:2*third], samples[2*third:]
	type check struct {
		name      string
		get       func(soakSample) float64
		margin    func(base float64) float64
		unbounded bool
	}
	checks := []check{
		{"RSS KiB", func(s soakSample) float64 { return float64(s.RSSKiB) }, func(b float64) float64 { return max(10*1024, b/5) }, false},
		{"goroutines", func(s soakSample) float64 { return s.Goroutines }, func(float64) float64 { return 10 }, false},
		{"fds", func(s soakSample) float64 { return float64(s.FDs) }, func(float64) float64 { return 5 }, false},
		{"checkpoint.json bytes", func(s soakSample) float64 { return float64(s.Files["checkpoint.json"]) }, func(float64) float64 { return 64 }, false},
		{"sent-transactions.json bytes", func(s soakSample) float64 { return float64(s.Files["sent-transactions.json"]) }, func(float64) float64 { return 4096 }, false},
		// The gas window holds every mined update of the last 24 hours by design: it grows for a
		// day, then is flat. Reported, not checked, on a run shorter than a day.
		{"gas-window.json bytes", func(s soakSample) float64 { return float64(s.Files["gas-window.json"]) }, nil, true},
	}
	peak := func(ss []soakSample, get func(soakSample) float64) float64 {
		v := 0.0
		for _, s := range ss {
			v = max(v, get(s))
		}
		return v
	}
	for _, ck := range checks {
		base, end := peak(mid, ck.get), peak(last, ck.get)
		line := fmt.Sprintf("%s: peak %.0f after warm-up (middle third), %.0f in the last third", ck.name, base, end)
		report.Notes = append(report.Notes, line)
		t.Log(line)
		if !ck.unbounded && end > base+ck.margin(base) {
			t.Errorf("%s grew after warm-up: %.0f -> %.0f, margin %.0f", ck.name, base, end, ck.margin(base))
		}
	}
	report.Notes = append(report.Notes, fmt.Sprintf("%d deposits (one a second to a random one of %d registered operators), %d transactions sent; %s overrides the %v duration",
		n, len(c.pop.Registered), samples[len(samples)-1].Sent-samples[0].Sent, soakDurationEnv, soakDuration))
	writeJSON(t, "soak.json", report)
	writeTable(t, "soak.txt", func(w io.Writer) { printSoak(w, report) })
}

// soakSample reads the process's RSS and descriptors from /proc, its goroutines from /metrics
// and the sizes of the state directory's files.
func (c *benchChain) soakSample(t *testing.T, p *proc, state string, at time.Duration) soakSample {
	t.Helper()
	pid := p.cmd.Process.Pid
	s := soakSample{Seconds: at.Seconds(), Block: c.clock.last(), Files: map[string]int64{}}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			s.RSSKiB, _ = strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	s.FDs = len(fds)
	s.Goroutines, _ = p.metric("go_goroutines")
	entries, err := os.ReadDir(state)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			s.Files[e.Name()] = info.Size()
		}
	}
	s.Sent, err = c.eth.NonceAt(c.ctx, c.sender, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func printSoak(out io.Writer, r soakReport) {
	fmt.Fprintf(out, "soak: avs-sync watch for %s, %d deposits\n", r.Duration, r.Deposits)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "SECONDS\tBLOCK\tRSS KiB\tGOROUTINES\tFDS\tSENT\tSTATE FILES (bytes)\t")
	for _, s := range r.Samples {
		var files []string
		for _, n := range slices.Sorted(maps.Keys(s.Files)) {
			files = append(files, fmt.Sprintf("%s %d", strings.TrimSuffix(n, filepath.Ext(n)), s.Files[n]))
		}
		fmt.Fprintf(tw, "%.0f\t%d\t%d\t%.0f\t%d\t%d\t%s\t\n", s.Seconds, s.Block, s.RSSKiB, s.Goroutines, s.FDs, s.Sent, strings.Join(files, ", "))
	}
	tw.Flush()
	for _, n := range r.Notes {
		fmt.Fprintln(out, n)
	}
}
