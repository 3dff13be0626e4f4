package interop

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestWithoutNode runs this test binary again with a PATH that holds no node,
// as on a machine with only Go: the suite must skip and say why (the README's
// test command passes there), and must fail when CI=true (CI has to run it).
func TestWithoutNode(t *testing.T) {
	if os.Getenv("TRACKERKIT_INTEROP_CHILD") != "" {
		t.Skip("already the child run")
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		ci       string
		wantFail bool
		want     []string
	}{
		{"developer machine", "", false, []string{"interop suite SKIPPED: node is not installed", "--- SKIP: TestHarness"}},
		{"CI=true", "true", true, []string{"CI=true, so the interop suite must run"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, "-test.run=^TestHarness$", "-test.v")
			cmd.Env = append(withoutEnv(os.Environ(), "PATH", "CI"),
				"PATH="+t.TempDir(), "CI="+tc.ci, "TRACKERKIT_INTEROP_CHILD=1")
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			switch {
			case tc.wantFail && !errors.As(err, &exit):
				t.Errorf("child run: err = %v, want a failing exit status\n%s", err, out)
			case !tc.wantFail && err != nil:
				t.Errorf("child run: %v\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("child output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// withoutEnv returns env without the variables named.
func withoutEnv(env []string, names ...string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
