package statefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockFile is the file in the state directory that one process at a time holds locked.
const LockFile = "avs-sync.lock"

// ErrLocked is what Acquire's error is when another process holds the state directory.
var ErrLocked = errors.New("state directory held by another process")

// lockedError names the directory and its holder.
type lockedError struct{ dir, holder string }

func (e *lockedError) Error() string {
	return fmt.Sprintf("state directory %s is held by %s; one avs-sync per state directory and key: stop the other first", e.dir, e.holder)
}

func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// Holder is what the lock file says of the process holding it.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

// Lock is the exclusive hold of one process on a state directory: what the directory remembers
// (the nonces and fees of pending transactions, the gas window) is right only while one process
// writes it, and one process sends with its key.
type Lock struct {
	f *os.File
}

// Acquire takes the state directory dir for this process, creating it when missing, and writes
// who holds it into its lock file. It does not wait: when another process holds it, the error
// wraps ErrLocked and names that process. The kernel drops the lock when the process exits,
// however it exits.
func Acquire(dir string, now time.Time) (*Lock, error) {
	if err := MkdirAll(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !held {
		raw, _ := os.ReadFile(path)
		f.Close()
		return nil, &lockedError{dir: dir, holder: describe(raw)}
	}
	host, _ := os.Hostname()
	raw, err := json.Marshal(Holder{PID: os.Getpid(), Host: host, Started: now.UTC().Truncate(time.Second)})
	if err == nil {
		err = f.Truncate(0)
	}
	if err == nil {
		_, err = f.WriteAt(append(raw, '\n'), 0)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write lock file %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Release gives the state directory up. The file stays: removing it would let a process that
// opened it just before lock a file no longer in the directory.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// describe names the holder from its lock file's content.
func describe(raw []byte) string {
	var h Holder
	if err := json.Unmarshal(raw, &h); err != nil || h.PID == 0 {
		return "another process (it has not written its pid yet)"
	}
	host := strings.TrimSpace(h.Host)
	if host == "" {
		host = "an unknown host"
	}
	return fmt.Sprintf("pid %d on %s, started %s", h.PID, host, h.Started.Format(time.RFC3339))
}
