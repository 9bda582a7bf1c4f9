package e2e

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// imageLayout is what the Dockerfile's run stage says about the user and the state directory.
type imageLayout struct {
	uid, gid int
	// stateDir is the VOLUME; stateUID and stateGID the owner its COPY --chown gives it.
	stateDir           string
	stateUID, stateGID int
}

// readImageLayout reads the run stage of ../Dockerfile (the last FROM).
func readImageLayout(t *testing.T) imageLayout {
	t.Helper()
	raw, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := strings.Split(string(raw), "\nFROM ")
	run := strings.Split(stages[len(stages)-1], "\n")
	ids := func(s string) (int, int) {
		u, g, _ := strings.Cut(s, ":")
		uid, err1 := strconv.Atoi(u)
		gid, err2 := strconv.Atoi(g)
		if err1 != nil || err2 != nil {
			t.Fatalf("Dockerfile: %q is not numeric uid:gid", s)
		}
		return uid, gid
	}
	l := imageLayout{stateUID: -1}
	for _, line := range run {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "USER":
			l.uid, l.gid = ids(f[1])
		case len(f) == 2 && f[0] == "VOLUME":
			l.stateDir = f[1]
		}
	}
	for _, line := range run {
		f := strings.Fields(line)
		if len(f) > 2 && f[0] == "COPY" && f[len(f)-1] == l.stateDir {
			for _, o := range f[1 : len(f)-2] {
				if v, ok := strings.CutPrefix(o, "--chown="); ok {
					l.stateUID, l.stateGID = ids(v)
				}
			}
		}
	}
	if l.uid == 0 || l.stateDir == "" || l.stateUID < 0 {
		t.Fatalf("Dockerfile run stage: user %d, volume %q, state owner %d: want a non-root USER and a VOLUME created by COPY --chown", l.uid, l.stateDir, l.stateUID)
	}
	return l
}

// rootfs lays out, under a fresh directory, what the image holds: the binary, the state directory
// owned as the Dockerfile says (a named volume starts as a copy of it), and the key file as the
// compose secret is to be created (owned by the container's user, mode 0400). Everything above is
// root's, mode 0755, as in the image. stateOwner overrides the state directory's owner.
func rootfs(t *testing.T, l imageLayout, key string, stateUID, stateGID int) (root string) {
	t.Helper()
	root, err := os.MkdirTemp("", "avs-sync-image")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	mkdir := func(dir string, uid, gid int) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	for d := filepath.Dir(l.stateDir); d != "/"; d = filepath.Dir(d) {
		mkdir(filepath.Join(root, d), 0, 0)
	}
	mkdir(root, 0, 0)
	mkdir(filepath.Join(root, l.stateDir), stateUID, stateGID)
	mkdir(filepath.Join(root, "usr/local/bin"), 0, 0)
	mkdir(filepath.Join(root, "run/secrets"), 0, 0)
	copyFile(t, binary, filepath.Join(root, "usr/local/bin/avs-sync"), 0o755, 0, 0)
	keyPath := filepath.Join(root, "run/secrets/avs_sync_key")
	if err := os.WriteFile(keyPath, []byte(key+"\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(keyPath, l.uid, l.gid); err != nil {
		t.Fatal(err)
	}
	return root
}

func copyFile(t *testing.T, from, to string, mode os.FileMode, uid, gid int) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(to, uid, gid); err != nil {
		t.Fatal(err)
	}
}

// The image's user can run avs-sync on the image's state directory, as a fresh named volume
// presents it, with the key from a compose secret file: it becomes ready, writes its checkpoint
// and stops cleanly. Against the layout the image had before (a root-owned directory), the same
// run writes no checkpoint. Docker is not needed: the binary runs as the image's uid and gid.
func TestImageStateLayout(t *testing.T) {
	l := readImageLayout(t)
	if os.Geteuid() != 0 {
		t.Skipf("SKIPPED: running as uid %d; running the binary as uid %d needs root", os.Geteuid(), l.uid)
	}
	e := newEnv(t, 1, 0)
	cred := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(l.uid), Gid: uint32(l.gid), NoSetGroups: true}}
	run := func(root string) (*daemonProc, int) {
		port := freePort(t)
		args := e.watchArgs(port, "--state-dir", filepath.Join(root, l.stateDir), "--ecdsa-private-key-file", filepath.Join(root, "run/secrets/avs_sync_key"))
		p, err := startDaemon(t, filepath.Join(root, "usr/local/bin/avs-sync"), args, append(cleanEnv(), "HOME=/nonexistent"), cred)
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("SKIPPED: not permitted to run as uid %d here: %v", l.uid, err)
		}
		if err != nil {
			t.Fatal(err)
		}
		return p, port
	}

	t.Run("image layout", func(t *testing.T) {
		root := rootfs(t, l, e.senderKey, l.stateUID, l.stateGID)
		p, port := run(root)
		checkpoint := filepath.Join(root, l.stateDir, "checkpoint.json")
		e.waitFor("ready with a checkpoint written", 60*time.Second, func() bool {
			if !p.running() {
				t.Fatalf("avs-sync as uid %d exited: %v\n%s", l.uid, p.err, p.log())
			}
			_, err := os.Stat(checkpoint)
			return err == nil && httpStatus(fmt.Sprintf("http://127.0.0.1:%d/readyz", port)) == 200
		})
		p.stop()
		st, err := os.Stat(checkpoint)
		if err != nil {
			t.Fatalf("no checkpoint after shutdown: %v", err)
		}
		if sys := st.Sys().(*syscall.Stat_t); int(sys.Uid) != l.uid {
			t.Errorf("checkpoint owned by uid %d, want %d", sys.Uid, l.uid)
		}
		if strings.Contains(p.log(), e.senderKey) {
			t.Fatal("the private key was logged")
		}
		t.Logf("as uid %d:%d on %s owned %d:%d: ready, checkpoint written, clean stop", l.uid, l.gid, l.stateDir, l.stateUID, l.stateGID)
	})

	t.Run("root-owned state directory", func(t *testing.T) {
		root := rootfs(t, l, e.senderKey, 0, 0)
		p, _ := run(root)
		// Blocks arrive every 100 ms and each is checkpointed: the first write fails, whether the
		// process then stops or carries on.
		denied := ""
		deniedCheckpoint := func() bool {
			for _, line := range strings.Split(p.log(), "\n") {
				if strings.Contains(line, "checkpoint") && strings.Contains(line, "permission denied") {
					denied = line
					return true
				}
			}
			return false
		}
		e.waitFor("the checkpoint write to be refused", 60*time.Second, func() bool { return deniedCheckpoint() || !p.running() })
		if !deniedCheckpoint() {
			t.Fatalf("avs-sync exited without a refused checkpoint write: %v\n%s", p.err, p.log())
		}
		if _, err := os.Stat(filepath.Join(root, l.stateDir, "checkpoint.json")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a checkpoint in a root-owned directory written as uid %d: %v", l.uid, err)
		}
		t.Logf("root-owned %s, as uid %d: %s", l.stateDir, l.uid, denied)
	})
}
