package e2e

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// daemonProc is the avs-sync binary running as a process, its stderr collected.
type daemonProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	exited chan struct{}
	err    error

	mu   sync.Mutex
	logs strings.Builder
}

// startDaemon starts the binary bin with args; attr, when set, sets its credentials.
func startDaemon(t *testing.T, bin string, args []string, env []string, attr *syscall.SysProcAttr) (*daemonProc, error) {
	t.Helper()
	p := &daemonProc{t: t, cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.SysProcAttr = attr
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			p.mu.Lock()
			p.logs.WriteString(s.Text() + "\n")
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p, nil
}

func (p *daemonProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

func (p *daemonProc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *daemonProc) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			p.t.Fatalf("exit after SIGTERM: %v\n%s", p.err, p.log())
		}
	case <-time.After(30 * time.Second):
		p.t.Fatalf("no exit within 30 s of SIGTERM\n%s", p.log())
	}
}

// watchArgs are the arguments of `avs-sync watch` on e's devnet with metrics on port.
func (e *env) watchArgs(port int, extra ...string) []string {
	args := append([]string{"watch"}, e.baseArgs()...)
	args = append(args, "--eth-ws-url", e.d.WSURL, "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", port), "--poll-interval", "100ms")
	return append(args, extra...)
}
