package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// proc is the avs-sync binary running as its own process, so that its memory can be read from
// /proc, with its logs in the results directory.
type proc struct {
	name    string
	cmd     *exec.Cmd
	metrics string // base URL of /metrics and /readyz
	logPath string
	exited  chan error
	stopped bool
}

// startProc runs the binary with args and the sender's key in the environment (not in the
// process list), serving metrics on a free port. The test stops it at the latest at cleanup.
func startProc(t *testing.T, name, senderKey string, args ...string) *proc {
	t.Helper()
	port := freePort(t)
	logPath := filepath.Join(resultsDir(t), "logs", name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	args = append(slices.Clone(args), "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", port), "--log-format", "json")
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cleanEnv(), "AVS_SYNC_ECDSA_PRIVATE_KEY="+senderKey)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, metrics: fmt.Sprintf("http://127.0.0.1:%d", port), logPath: logPath, exited: make(chan error, 1)}
	go func() {
		p.exited <- cmd.Wait()
		logFile.Close()
	}()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// ready reports whether /readyz answers 200.
func (p *proc) ready() bool { return httpStatus(p.metrics+"/readyz") == http.StatusOK }

// metric sums every sample of the named metric (all label sets); false if it is not exported yet.
func (p *proc) metric(name string) (float64, bool) {
	resp, err := http.Get(p.metrics + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var sum float64
	found := false
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 64*1024), 1024*1024)
	for s.Scan() {
		line := s.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if !strings.HasPrefix(rest, " ") && !strings.HasPrefix(rest, "{") {
			continue // a longer name with this prefix
		}
		fields := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}

// peakRSS is the process's peak resident set size (VmHWM) in KiB.
func (p *proc) peakRSS() (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read status of %s: %w", p.name, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmHWM of %s: %q: %w", p.name, v, err)
			}
			return kb, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in the status of %s", p.name)
}

// alive fails the test if the process has exited.
func (p *proc) alive(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.exited:
		p.exited <- err
		t.Fatalf("%s exited early (%v); log: %s", p.name, err, p.logPath)
	default:
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if p.stopped {
		return
	}
	p.stopped = true
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Logf("signal %s: %v", p.name, err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Errorf("%s: exit after SIGTERM: %v; log: %s", p.name, err, p.logPath)
		}
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Errorf("%s did not exit within 30 s of SIGTERM; log: %s", p.name, p.logPath)
	}
}

// waitReady waits for /readyz and then for cond, failing if the process exits meanwhile.
func (c *benchChain) waitReady(p *proc, what string, cond func() bool) {
	c.t.Helper()
	c.waitFor(p.name+" ready: "+what, 90*time.Second, func() bool {
		p.alive(c.t)
		return p.ready() && cond()
	})
}
