package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// startWatch runs `avs-sync watch` as its own process against the given node URLs (the devnet's,
// or a fault proxy's), with the sender's key in the environment and its log in a temporary file
// that a failing test prints. The test stops it at the latest at cleanup, asserting a clean exit.
func (e *env) startWatch(name, httpURL, wsURL string, extra ...string) *proc {
	e.t.Helper()
	return e.startWatchEnv(name, httpURL, wsURL, nil, extra...)
}

// startWatchEnv is startWatch with env added to the process's environment (a later value of a
// variable wins).
func (e *env) startWatchEnv(name, httpURL, wsURL string, env []string, extra ...string) *proc {
	e.t.Helper()
	args := []string{"watch", "--eth-http-url", httpURL,
		"--registry-coordinator-addr", e.d.Addresses.RegistryCoordinator.Hex(),
		"--operator-state-retriever-addr", e.d.Addresses.OperatorStateRetriever.Hex(),
		"--log-format", "json"}
	if e.watchBase != nil {
		args = append(e.watchBase(httpURL), "--log-format", "json")
	}
	if wsURL != "" {
		args = append(args, "--eth-ws-url", wsURL)
	}
	args = append(args, extra...)
	port := freePort(e.t)
	logPath := filepath.Join(e.t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		e.t.Fatal(err)
	}
	args = append(slices.Clone(args), "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", port))
	p := &proc{name: name, metrics: fmt.Sprintf("http://127.0.0.1:%d", port), logPath: logPath, exited: make(chan error, 1)}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = append(append(cleanEnv(), "AVS_SYNC_ECDSA_PRIVATE_KEY="+e.senderKey), env...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		e.t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.exited <- p.cmd.Wait()
		logFile.Close()
	}()
	e.t.Cleanup(func() {
		p.stop(e.t)
		if e.t.Failed() {
			e.t.Logf("log of %s:\n%s", name, p.log())
		}
	})
	return p
}

// log is what the process has logged so far.
func (p *proc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// logged reports whether a log line has msg as its message.
func (p *proc) logged(msg string) bool {
	return strings.Contains(p.log(), `"msg":"`+msg+`"`)
}

// waitUp waits for /readyz, failing if the process exits first.
func (e *env) waitUp(p *proc) {
	e.t.Helper()
	e.waitFor(p.name+" ready", 60*time.Second, func() bool {
		p.alive(e.t)
		return p.ready()
	})
}

// sub is e for a subtest: the same devnet and actors, failures reported to t.
func (e *env) sub(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}
