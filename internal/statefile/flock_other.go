//go:build !unix

package statefile

import (
	"errors"
	"os"
)

func tryLock(*os.File) (bool, error) {
	return false, errors.New("locking the state directory is supported on Unix systems only")
}
