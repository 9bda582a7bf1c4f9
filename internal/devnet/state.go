package devnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
)

const sdkModule = "github.com/Layr-Labs/eigensdk-go"

// Flavor selects which EigenLayer deployment the devnet starts from.
type Flavor string

const (
	// Slashing is the slashing-era core (AllocationManager present) with the mock AVS.
	Slashing Flavor = "slashing"
	// M2 is the pre-slashing deployment (no AllocationManager).
	M2 Flavor = "m2"
)

// Addresses are the contracts of a devnet deployment.
type Addresses struct {
	RegistryCoordinator    common.Address `json:"registryCoordinator"`
	OperatorStateRetriever common.Address `json:"operatorStateRetriever"`
	ServiceManager         common.Address `json:"serviceManager"`
	DelegationManager      common.Address `json:"delegationManager"`
	StrategyManager        common.Address `json:"strategyManager"`
	AVSDirectory           common.Address `json:"avsDirectory"`
	AllocationManager      common.Address `json:"allocationManager,omitempty"`
	RewardsCoordinator     common.Address `json:"rewardsCoordinator"`
	PermissionController   common.Address `json:"permissionController,omitempty"`
	EigenPodManager        common.Address `json:"eigenPodManager"`
	Token                  common.Address `json:"token"`
	Strategy               common.Address `json:"strategy"`
}

// SDKDir returns the eigensdk-go module directory in the local module cache.
func SDKDir() (string, error) {
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", sdkModule).Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); dir != "" {
			return dir, nil
		}
	}
	// Without a go.mod at hand (an installed binary), derive the path from the version this
	// binary was built with.
	version := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == sdkModule {
				version = dep.Version
			}
		}
	}
	if version == "" {
		return "", errors.New("eigensdk-go version unknown: run inside the avs-sync module or set --state-dir")
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			cache = strings.TrimSpace(string(out))
		}
	}
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, "go", "pkg", "mod")
	}
	dir := filepath.Join(cache, escapeModulePath(sdkModule)+"@"+version)
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("eigensdk-go %s not in the module cache (%s): run `go mod download %s@%s`", version, dir, sdkModule, version)
	}
	return dir, nil
}

// escapeModulePath applies the module cache's case encoding: an upper-case letter becomes '!' and
// its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			b.WriteRune(r + ('a' - 'A'))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func flavorDir(sdk string, f Flavor) string {
	if f == M2 {
		return filepath.Join(sdk, "M2-contracts")
	}
	return filepath.Join(sdk, "contracts")
}

// anvilState is the part of anvil's --dump-state format the devnet needs.
type anvilState struct {
	Block struct {
		Number   hexutil.Uint64 `json:"number"`
		GasLimit hexutil.Uint64 `json:"gas_limit"`
	} `json:"block"`
	Accounts map[common.Address]anvilAccount `json:"accounts"`
}

type anvilAccount struct {
	Nonce   json.RawMessage             `json:"nonce"`
	Balance string                      `json:"balance"`
	Code    string                      `json:"code"`
	Storage map[common.Hash]common.Hash `json:"storage"`
}

// loadAlloc reads anvil's state dump into a genesis alloc, returning the dump's block number.
func loadAlloc(path string) (types.GenesisAlloc, uint64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read anvil state: %w", err)
	}
	var st anvilState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, 0, fmt.Errorf("decode anvil state %s: %w", path, err)
	}
	alloc := make(types.GenesisAlloc, len(st.Accounts))
	for addr, acc := range st.Accounts {
		nonce, err := parseNonce(acc.Nonce)
		if err != nil {
			return nil, 0, fmt.Errorf("account %s: %w", addr, err)
		}
		bal, ok := new(big.Int).SetString(strings.TrimPrefix(acc.Balance, "0x"), 16)
		if !ok {
			return nil, 0, fmt.Errorf("account %s: bad balance %q", addr, acc.Balance)
		}
		code, err := hexutil.Decode(acc.Code)
		if err != nil && acc.Code != "0x" && acc.Code != "" {
			return nil, 0, fmt.Errorf("account %s: bad code: %w", addr, err)
		}
		alloc[addr] = types.Account{Nonce: nonce, Balance: bal, Code: code, Storage: acc.Storage}
	}
	return alloc, uint64(st.Block.Number), nil
}

func parseNonce(raw json.RawMessage) (uint64, error) {
	s := strings.Trim(string(raw), `"`)
	if strings.HasPrefix(s, "0x") {
		return strconv.ParseUint(s[2:], 16, 64)
	}
	if s == "" {
		return 0, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// loadAddresses reads the deployment outputs under script/output/31337.
func loadAddresses(dir string, f Flavor) (Addresses, error) {
	out := filepath.Join(dir, "script", "output", "31337")
	read := func(name string) (map[string]any, error) {
		raw, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			return nil, err
		}
		var v struct {
			Addresses map[string]any `json:"addresses"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", name, err)
		}
		return v.Addresses, nil
	}
	el, err := read("eigenlayer_deployment_output.json")
	if err != nil {
		return Addresses{}, err
	}
	avs, err := read("mockAvs_deployment_output.json")
	if err != nil {
		return Addresses{}, err
	}
	tok, err := read("token_and_strategy_deployment_output.json")
	if err != nil {
		return Addresses{}, err
	}
	addr := func(m map[string]any, k string) common.Address {
		s, _ := m[k].(string)
		return common.HexToAddress(s)
	}
	a := Addresses{
		RegistryCoordinator:    addr(avs, "registryCoordinator"),
		OperatorStateRetriever: addr(avs, "operatorStateRetriever"),
		ServiceManager:         addr(avs, "mockAvsServiceManager"),
		DelegationManager:      addr(el, "delegationManager"),
		StrategyManager:        addr(el, "strategyManager"),
		AVSDirectory:           addr(el, "avsDirectory"),
		RewardsCoordinator:     addr(el, "rewardsCoordinator"),
		EigenPodManager:        addr(el, "eigenPodManager"),
		Token:                  addr(tok, "erc20mock"),
		Strategy:               addr(tok, "erc20mockstrategy"),
	}
	if f == Slashing {
		a.AllocationManager = addr(el, "allocationManager")
		a.PermissionController = addr(el, "permissionController")
	}
	return a, nil
}
