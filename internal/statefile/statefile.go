// Package statefile writes the files of --state-dir: whole or not at all, readable by the
// daemon's user only.
package statefile

import (
	"fmt"
	"os"
	"path/filepath"
)

// DirMode and FileMode are the permissions of the state directory and of its files: they hold
// what the daemon sent and spent, for no one else to read or replace.
const (
	DirMode  os.FileMode = 0o700
	FileMode os.FileMode = 0o600
)

// MkdirAll creates dir, and its missing parents, with DirMode.
func MkdirAll(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	return nil
}

// Write replaces dir/name with data: a temporary file of a unique name in dir, synced, renamed
// over the old one, and the directory synced so that the rename survives a crash. A reader, or
// a crash, sees the old content or the new, never a torn file; two writers never share a
// temporary file, and the last rename wins. dir is created when missing.
func Write(dir, name string, data []byte) error {
	if err := MkdirAll(dir); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, name+".*.tmp") // CreateTemp opens with 0600
	if err != nil {
		return fmt.Errorf("create temporary %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write temporary %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync temporary %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temporary %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("replace %s: %w", name, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open state directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync state directory: %w", err)
	}
	return nil
}
