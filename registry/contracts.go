// Package registry reads what the daemon needs from an AVS's registry contracts (RegistryCoordinator,
// StakeRegistry, IndexRegistry, OperatorStateRetriever, the service manager) and the EigenLayer
// contracts they point at, in JSON-RPC batches: a constant number of round trips per read, whatever
// the number of operators.
package registry

import (
	"context"
	"errors"
	"fmt"

	allocationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/AllocationManager"
	delegationmanager "github.com/Layr-Labs/eigensdk-go/contracts/bindings/DelegationManager"
	sigchecker "github.com/Layr-Labs/eigensdk-go/contracts/bindings/IBLSSignatureChecker"
	indexregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/IndexRegistry"
	opstateretriever "github.com/Layr-Labs/eigensdk-go/contracts/bindings/OperatorStateRetriever"
	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	stakeregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/StakeRegistry"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

var (
	// ErrNoContract: an address given as a contract holds no code.
	ErrNoContract = errors.New("no contract")
	// ErrWrongChain: the node serves another chain than the one expected.
	ErrWrongChain = errors.New("wrong chain")
)

// DiscoverConfig are the addresses an operator of avs-sync gives; the rest is read from the chain.
type DiscoverConfig struct {
	RegistryCoordinator    common.Address
	OperatorStateRetriever common.Address
	// ServiceManager is optional: zero reads it from the registry coordinator.
	ServiceManager common.Address
	// ChainID, when not zero, must be the node's chain id.
	ChainID uint64
	// DontUseAllocationManager treats the deployment as pre-slashing even if the registry
	// coordinator names an AllocationManager.
	DontUseAllocationManager bool
}

// Contracts are the addresses of the AVS's registry contracts and of the EigenLayer contracts they
// use, as discovered on chain.
type Contracts struct {
	ChainID                uint64
	RegistryCoordinator    common.Address
	OperatorStateRetriever common.Address
	ServiceManager         common.Address
	StakeRegistry          common.Address
	IndexRegistry          common.Address
	DelegationManager      common.Address
	// AllocationManager is zero on pre-slashing (M2) deployments or when disabled by config.
	AllocationManager common.Address
	// AVS is the address the AllocationManager keys the AVS's operator sets by (avs(), else the
	// service manager).
	AVS common.Address
	// QuorumCount is the number of quorums at discovery; quorums can be created later.
	QuorumCount uint8
	// ECDSAStakeRegistry is set, and the RegistryCoordinator family zero, for an AVS on the
	// middleware's ECDSAStakeRegistry: its one quorum is planned as quorum 0.
	ECDSAStakeRegistry common.Address
}

// UpdateTarget is the contract that takes updateOperators and updateOperatorsForQuorum: the
// ECDSAStakeRegistry where there is one (its two calls have the RegistryCoordinator's
// signatures), else the RegistryCoordinator.
func (c Contracts) UpdateTarget() common.Address {
	if c.ECDSAStakeRegistry != (common.Address{}) {
		return c.ECDSAStakeRegistry
	}
	return c.RegistryCoordinator
}

// Discover checks the configured addresses against the chain and reads the rest of the
// deployment from them, in two batched round trips.
func Discover(ctx context.Context, client *rpc.Client, cfg DiscoverConfig) (Contracts, error) {
	rcABI, err := regcoord.ContractRegistryCoordinatorMetaData.GetAbi()
	if err != nil {
		return Contracts{}, fmt.Errorf("registry coordinator ABI: %w", err)
	}
	srABI, err := stakeregistry.ContractStakeRegistryMetaData.GetAbi()
	if err != nil {
		return Contracts{}, fmt.Errorf("stake registry ABI: %w", err)
	}

	// Round 1: chain id, code at each given address, and the registry coordinator's pointers,
	// which come back empty if it has no code (checked before they are used).
	var chainID hexutil.Big
	codes := make([]hexutil.Bytes, 3)
	named := []struct {
		what string
		addr common.Address
	}{
		{"registry coordinator", cfg.RegistryCoordinator},
		{"operator state retriever", cfg.OperatorStateRetriever},
		{"service manager", cfg.ServiceManager},
	}
	rcCall := func(method string) *call {
		return &call{to: cfg.RegistryCoordinator, abi: rcABI, method: method}
	}
	stakeReg, indexReg, svcMgr, avs, allocMgr, quorumCount :=
		rcCall("stakeRegistry"), rcCall("indexRegistry"), rcCall("serviceManager"), rcCall("avs"),
		rcCall("allocationManager"), rcCall("quorumCount")
	rcCalls := []*call{stakeReg, indexReg, svcMgr, avs, allocMgr, quorumCount}

	elems := []rpc.BatchElem{{Method: "eth_chainId", Result: &chainID}}
	for i, n := range named {
		if n.addr == (common.Address{}) {
			continue
		}
		elems = append(elems, rpc.BatchElem{Method: "eth_getCode", Args: []any{n.addr, "latest"}, Result: &codes[i]})
	}
	callStart := len(elems)
	for _, c := range rcCalls {
		data, err := c.abi.Pack(c.method)
		if err != nil {
			return Contracts{}, fmt.Errorf("encode %s: %w", c.method, err)
		}
		elems = append(elems, rpc.BatchElem{Method: "eth_call", Args: []any{callArgs{To: c.to, Data: data}, "latest"}, Result: &c.out})
	}
	if err := client.BatchCallContext(ctx, elems); err != nil {
		return Contracts{}, fmt.Errorf("read chain id and registry contracts: %w", err)
	}
	if err := elems[0].Error; err != nil {
		return Contracts{}, fmt.Errorf("read chain id: %w", err)
	}
	for i := 1; i < callStart; i++ {
		if err := elems[i].Error; err != nil {
			return Contracts{}, fmt.Errorf("read code at %v: %w", elems[i].Args[0], err)
		}
	}
	for i, c := range rcCalls {
		c.err = elems[callStart+i].Error
	}

	got := chainID.ToInt().Uint64()
	if cfg.ChainID != 0 && got != cfg.ChainID {
		return Contracts{}, fmt.Errorf("%w: the node serves chain id %d, expected %d", ErrWrongChain, got, cfg.ChainID)
	}
	for i, n := range named {
		if n.addr != (common.Address{}) && len(codes[i]) == 0 {
			return Contracts{}, fmt.Errorf("%w at %s %s: wrong address or wrong chain (id %d)?", ErrNoContract, n.what, n.addr, got)
		}
	}
	if cfg.RegistryCoordinator == (common.Address{}) {
		return Contracts{}, fmt.Errorf("%w: registry coordinator address not set", ErrNoContract)
	}
	if cfg.OperatorStateRetriever == (common.Address{}) {
		return Contracts{}, fmt.Errorf("%w: operator state retriever address not set", ErrNoContract)
	}

	c := Contracts{
		ChainID:                got,
		RegistryCoordinator:    cfg.RegistryCoordinator,
		OperatorStateRetriever: cfg.OperatorStateRetriever,
		ServiceManager:         cfg.ServiceManager,
	}
	if c.StakeRegistry, err = addressResult(stakeReg); err != nil {
		return Contracts{}, fmt.Errorf("read stake registry from registry coordinator %s: %w", cfg.RegistryCoordinator, err)
	}
	if c.IndexRegistry, err = addressResult(indexReg); err != nil {
		return Contracts{}, fmt.Errorf("read index registry from registry coordinator %s: %w", cfg.RegistryCoordinator, err)
	}
	vals, err := quorumCount.result()
	if err != nil {
		return Contracts{}, fmt.Errorf("read quorum count: %w", err)
	}
	c.QuorumCount = vals[0].(uint8)
	if c.ServiceManager == (common.Address{}) {
		// Pre-slashing coordinators have serviceManager(); slashing-era ones also name it avs().
		if c.ServiceManager, err = addressResult(svcMgr); err != nil || c.ServiceManager == (common.Address{}) {
			if c.ServiceManager, err = addressResult(avs); err != nil {
				return Contracts{}, fmt.Errorf("read service manager from registry coordinator %s (set it explicitly): %w", cfg.RegistryCoordinator, err)
			}
		}
	}
	// Operator sets in the AllocationManager are keyed by avs(), which the owner can point away
	// from the service manager.
	if a, err := addressResult(avs); err == nil && a != (common.Address{}) {
		c.AVS = a
	} else {
		c.AVS = c.ServiceManager
	}
	if !cfg.DontUseAllocationManager {
		if am, err := addressResult(allocMgr); err == nil {
			c.AllocationManager = am
		} else if !errors.Is(err, ErrAbsent) {
			return Contracts{}, fmt.Errorf("read allocation manager from registry coordinator %s: %w", cfg.RegistryCoordinator, err)
		}
	}

	// Round 2: the DelegationManager through the StakeRegistry, and code at the addresses read.
	if err := discoverDelegation(ctx, client, srABI, &c); err != nil {
		return Contracts{}, err
	}
	return c, nil
}

// discoverDelegation reads StakeRegistry.delegation() and checks that the stake registry, the
// service manager and the allocation manager hold code. An allocation manager without code is
// dropped (the deployment predates slashing).
func discoverDelegation(ctx context.Context, client *rpc.Client, srABI *abi.ABI, c *Contracts) error {
	deleg := &call{to: c.StakeRegistry, abi: srABI, method: "delegation"}
	data, err := srABI.Pack("delegation")
	if err != nil {
		return fmt.Errorf("encode delegation: %w", err)
	}
	var srCode, smCode, amCode hexutil.Bytes
	elems := []rpc.BatchElem{
		{Method: "eth_call", Args: []any{callArgs{To: c.StakeRegistry, Data: data}, "latest"}, Result: &deleg.out},
		{Method: "eth_getCode", Args: []any{c.StakeRegistry, "latest"}, Result: &srCode},
		{Method: "eth_getCode", Args: []any{c.ServiceManager, "latest"}, Result: &smCode},
	}
	if c.AllocationManager != (common.Address{}) {
		elems = append(elems, rpc.BatchElem{Method: "eth_getCode", Args: []any{c.AllocationManager, "latest"}, Result: &amCode})
	}
	if err := client.BatchCallContext(ctx, elems); err != nil {
		return fmt.Errorf("read delegation manager from stake registry %s: %w", c.StakeRegistry, err)
	}
	for _, e := range elems[1:] {
		if e.Error != nil {
			return fmt.Errorf("read code at %v: %w", e.Args[0], e.Error)
		}
	}
	if len(srCode) == 0 {
		return fmt.Errorf("%w at stake registry %s (read from registry coordinator %s)", ErrNoContract, c.StakeRegistry, c.RegistryCoordinator)
	}
	if len(smCode) == 0 {
		return fmt.Errorf("%w at service manager %s: wrong address?", ErrNoContract, c.ServiceManager)
	}
	if c.AllocationManager != (common.Address{}) && len(amCode) == 0 {
		c.AllocationManager = common.Address{}
	}
	deleg.err = elems[0].Error
	if c.DelegationManager, err = addressResult(deleg); err != nil {
		return fmt.Errorf("read delegation manager from stake registry %s: %w", c.StakeRegistry, err)
	}
	return nil
}

// addressResult decodes a call returning one address.
func addressResult(c *call) (common.Address, error) {
	vals, err := c.result()
	if err != nil {
		return common.Address{}, err
	}
	a, ok := vals[0].(common.Address)
	if !ok {
		return common.Address{}, fmt.Errorf("decode %s: got %T, want address", c.method, vals[0])
	}
	return a, nil
}

// abis are the contract ABIs a Reader packs and unpacks calls with, from the SDK's bindings.
type abis struct {
	rc, sr, ir, osr, sig, dm, am *abi.ABI
}

func loadABIs() (abis, error) {
	var a abis
	var err error
	if a.rc, err = regcoord.ContractRegistryCoordinatorMetaData.GetAbi(); err != nil {
		return a, fmt.Errorf("registry coordinator ABI: %w", err)
	}
	if a.sr, err = stakeregistry.ContractStakeRegistryMetaData.GetAbi(); err != nil {
		return a, fmt.Errorf("stake registry ABI: %w", err)
	}
	if a.ir, err = indexregistry.ContractIndexRegistryMetaData.GetAbi(); err != nil {
		return a, fmt.Errorf("index registry ABI: %w", err)
	}
	if a.osr, err = opstateretriever.ContractOperatorStateRetrieverMetaData.GetAbi(); err != nil {
		return a, fmt.Errorf("operator state retriever ABI: %w", err)
	}
	if a.sig, err = sigchecker.ContractIBLSSignatureCheckerMetaData.GetAbi(); err != nil {
		return a, fmt.Errorf("signature checker ABI: %w", err)
	}
	if a.dm, err = delegationmanager.ContractDelegationManagerMetaData.GetAbi(); err != nil {
		return a, fmt.Errorf("delegation manager ABI: %w", err)
	}
	if a.am, err = allocationmanager.ContractAllocationManagerMetaData.GetAbi(); err != nil {
		return a, fmt.Errorf("allocation manager ABI: %w", err)
	}
	return a, nil
}
