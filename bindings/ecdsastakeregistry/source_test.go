package ecdsastakeregistry

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const contractDir = "../../contracts/ecdsa"

// TestCommittedBytecodeMatchesSource compiles the source with the pinned solc and fails when the
// committed ABI or bytecode differ from it. Without node or the pinned solc installed (make
// contracts-deps) it is skipped, unless AVS_SYNC_REQUIRE_SOLC=1 (CI sets it) makes that a failure.
func TestCommittedBytecodeMatchesSource(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(contractDir, "node_modules", "solc", "package.json"))
	}
	if err != nil {
		if os.Getenv("AVS_SYNC_REQUIRE_SOLC") == "1" {
			t.Fatalf("node and the pinned solc are needed (make contracts-deps): %v", err)
		}
		t.Skipf("node or the pinned solc missing (make contracts-deps): %v", err)
	}
	cmd := exec.Command(node, "build.js", "--check")
	cmd.Dir = contractDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("committed contract does not match its source: %v\n%s", err, out)
	}
}

// TestBindingMatchesCommittedContract fails when the Go binding was not regenerated from the
// committed ABI and bytecode.
func TestBindingMatchesCommittedContract(t *testing.T) {
	bin, err := os.ReadFile(filepath.Join(contractDir, "ECDSAStakeRegistry.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ECDSAStakeRegistryMetaData.Bin, "0x"+strings.TrimSpace(string(bin)); got != want {
		t.Errorf("binding bytecode differs from ECDSAStakeRegistry.bin: run make contracts")
	}
	abiJSON, err := os.ReadFile(filepath.Join(contractDir, "ECDSAStakeRegistry.abi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var committed, bound any
	if err := json.Unmarshal(abiJSON, &committed); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(ECDSAStakeRegistryMetaData.ABI), &bound); err != nil {
		t.Fatal(err)
	}
	// abigen drops the spaces of internalType ("struct X" becomes "structX"); the rest is kept.
	if !reflect.DeepEqual(withoutInternalTypes(committed), withoutInternalTypes(bound)) {
		t.Errorf("binding ABI differs from ECDSAStakeRegistry.abi.json: run make contracts")
	}
}

// withoutInternalTypes returns v, a decoded JSON ABI, with every internalType field removed.
func withoutInternalTypes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "internalType")
		for k, e := range x {
			x[k] = withoutInternalTypes(e)
		}
	case []any:
		for i, e := range x {
			x[i] = withoutInternalTypes(e)
		}
	}
	return v
}
