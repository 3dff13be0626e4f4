package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// GoCommand returns the path of the go command, for a test that builds
// with it; what says what it builds, in the skip message. The test is
// skipped in -short mode (building takes long) and where PATH has no go
// command (a test binary copied to a machine without Go).
func GoCommand(tb testing.TB, what string) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds " + what)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("no go command")
	}
	return goBin
}

// ModuleRoot returns the absolute path of this module's root: the nearest
// directory holding a go.mod, from the test's working directory (its
// package's directory, where go test runs it) upwards.
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("no go.mod in %s or above", dir)
		}
		dir = parent
	}
}
