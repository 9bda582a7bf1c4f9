package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/faultlog"
	"github.com/avs-sync/avs-sync/registry"
	"github.com/avs-sync/avs-sync/rpclimit"
	"github.com/avs-sync/avs-sync/rpcmetrics"
	"github.com/avs-sync/avs-sync/rpcretry"
	"github.com/avs-sync/avs-sync/syncer"
)

// chain is a connection to the node and the AVS's contracts on it.
type chain struct {
	rpc       *rpc.Client
	eth       *ethclient.Client
	contracts registry.Contracts
	reader    avsReader
	// httpClient carries every HTTP JSON-RPC request, counted by method on the metrics registry.
	httpClient *http.Client
}

// avsReader is what the commands read of an AVS, whichever kind of registry it runs.
type avsReader interface {
	syncer.Inspector
	SignatureCheckers() []common.Address
}

// connect dials the node, checks the chain id and that the AVS's contracts are where the flags
// say, and discovers the rest of the deployment.
func connect(ctx context.Context, log *slog.Logger, node NodeFlags, cf ContractFlags, reg prometheus.Registerer) (*chain, error) {
	if err := node.Validate(); err != nil {
		return nil, usage(err)
	}
	ecdsaReg, err := parseAddress("ecdsa-stake-registry-addr", cf.ECDSAStakeRegistryAddr, false)
	if err != nil {
		return nil, usage(err)
	}
	ecdsaAVS := ecdsaReg != (common.Address{})
	if err := cf.validateKind(ecdsaAVS); err != nil {
		return nil, usage(err)
	}
	rc, err := parseAddress("registry-coordinator-addr", cf.RegistryCoordinatorAddr, !ecdsaAVS)
	if err != nil {
		return nil, usage(err)
	}
	osr, err := parseAddress("operator-state-retriever-addr", cf.OperatorStateRetrieverAddr, !ecdsaAVS)
	if err != nil {
		return nil, usage(err)
	}
	sm, err := parseAddress("service-manager-addr", cf.ServiceManagerAddr, false)
	if err != nil {
		return nil, usage(err)
	}
	var checkers []common.Address
	for _, a := range cf.SignatureCheckerAddr {
		c, err := parseAddress("signature-checker-addr", a, true)
		if err != nil {
			return nil, usage(err)
		}
		checkers = append(checkers, c)
	}

	dialCtx, cancel := context.WithTimeout(ctx, node.ReaderTimeoutDuration)
	defer cancel()
	// One request (a large eth_getLogs range, a batch of eth_calls) may take longer than one read.
	httpClient := rpcmetrics.NewHTTPClient(reg, "avs-sync", max(30*time.Second, 6*node.ReaderTimeoutDuration))
	// Each attempt of a read is paced and counted: retries sit above the rate limit, the limit above
	// the reply bound and the metrics, so the provider's bill and limit see every request sent.
	retrying, err := rpcretry.New(
		rpclimit.Rate(rpclimit.Transport(httpClient.Transport, rpclimit.DefaultMaxReply), node.RPCRateLimit),
		rpcretry.ForBlockTime(node.BlockTime), faultlog.New(log, "node requests", time.Minute, nil), reg)
	if err != nil {
		return nil, err
	}
	httpClient.Transport = retrying
	client, err := rpc.DialOptions(dialCtx, node.EthHTTPURL, rpc.WithHTTPClient(httpClient))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact(node.EthHTTPURL), err)
	}
	eth := ethclient.NewClient(client)
	id, err := eth.ChainID(dialCtx)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("node at %s unreachable or not an Ethereum JSON-RPC endpoint: %w", redact(node.EthHTTPURL), err)
	}
	if node.EthWSURL != "" {
		ws, err := rpc.DialContext(dialCtx, node.EthWSURL)
		if err != nil {
			client.Close()
			return nil, fmt.Errorf("websocket %s unreachable or not a websocket JSON-RPC endpoint: %w", redact(node.EthWSURL), err)
		}
		var wsID hexutil.Big
		err = ws.CallContext(dialCtx, &wsID, "eth_chainId")
		ws.Close()
		if err != nil {
			client.Close()
			return nil, fmt.Errorf("websocket %s does not answer eth_chainId: %w", redact(node.EthWSURL), err)
		}
		if wsID.ToInt().Cmp(id) != 0 {
			client.Close()
			return nil, usage(fmt.Errorf("--eth-ws-url serves chain id %s, --eth-http-url chain id %s: both must be the same node's", wsID.ToInt(), id))
		}
	}
	if ecdsaAVS {
		return connectECDSA(ctx, log, client, eth, httpClient, node, cf, ecdsaReg)
	}
	contracts, err := registry.Discover(ctx, client, registry.DiscoverConfig{
		RegistryCoordinator:      rc,
		OperatorStateRetriever:   osr,
		ServiceManager:           sm,
		ChainID:                  node.ChainID,
		DontUseAllocationManager: cf.DontUseAllocationManager,
	})
	if err != nil {
		client.Close()
		// No code at an address may be a node still syncing as well as a wrong address: watch
		// tries again. A chain id other than --chain-id is bad input.
		if errors.Is(err, registry.ErrWrongChain) {
			return nil, usage(err)
		}
		return nil, fmt.Errorf("read AVS contracts: %w", err)
	}
	reader, err := registry.NewReader(client, contracts, registry.WithBatchSize(node.batchSize()), registry.WithSignatureCheckers(checkers))
	if err != nil {
		client.Close()
		return nil, err
	}
	log.Info("connected", "chain_id", id, "registry_coordinator", contracts.RegistryCoordinator,
		"stake_registry", contracts.StakeRegistry, "service_manager", contracts.ServiceManager,
		"delegation_manager", contracts.DelegationManager, "allocation_manager", contracts.AllocationManager,
		"quorums", contracts.QuorumCount, "signature_checkers", reader.SignatureCheckers())
	return &chain{rpc: client, eth: eth, contracts: contracts, reader: reader, httpClient: httpClient}, nil
}

func (c *chain) Close() { c.rpc.Close() }

// validateKind refuses flags of the other kind of registry than the one named.
func (cf ContractFlags) validateKind(ecdsaAVS bool) error {
	if ecdsaAVS {
		var both []string
		for name, v := range map[string]string{"--registry-coordinator-addr": cf.RegistryCoordinatorAddr,
			"--operator-state-retriever-addr": cf.OperatorStateRetrieverAddr, "--service-manager-addr": cf.ServiceManagerAddr} {
			if v != "" {
				both = append(both, name)
			}
		}
		if len(cf.SignatureCheckerAddr) > 0 {
			both = append(both, "--signature-checker-addr")
		}
		if len(both) > 0 {
			slices.Sort(both)
			return fmt.Errorf("--ecdsa-stake-registry-addr names an ECDSA AVS: drop %s (RegistryCoordinator-family flags)", strings.Join(both, ", "))
		}
		if cf.DelegationManagerAddr == "" {
			return errors.New("--ecdsa-stake-registry-addr needs --delegation-manager-addr: the registry does not expose the DelegationManager it weighs")
		}
		return nil
	}
	if cf.DelegationManagerAddr != "" || cf.ECDSAFromBlock != 0 {
		return errors.New("--delegation-manager-addr and --ecdsa-from-block go with --ecdsa-stake-registry-addr (the DelegationManager of a RegistryCoordinator is read from it)")
	}
	return nil
}

// connectECDSA checks what is at the ECDSA registry address and builds its reader.
func connectECDSA(ctx context.Context, log *slog.Logger, client *rpc.Client, eth *ethclient.Client, httpClient *http.Client, node NodeFlags, cf ContractFlags, addr common.Address) (*chain, error) {
	dm, err := parseAddress("delegation-manager-addr", cf.DelegationManagerAddr, true)
	if err != nil {
		client.Close()
		return nil, usage(err)
	}
	contracts, err := registry.DiscoverECDSA(ctx, client, registry.ECDSAConfig{StakeRegistry: addr, DelegationManager: dm, FromBlock: cf.ECDSAFromBlock, ChainID: node.ChainID})
	if err != nil {
		client.Close()
		if errors.Is(err, registry.ErrNoContract) || errors.Is(err, registry.ErrWrongChain) || errors.Is(err, registry.ErrNotARegistry) {
			return nil, usage(err)
		}
		return nil, fmt.Errorf("read ECDSA AVS contracts: %w", err)
	}
	reader, err := registry.NewECDSAReader(client, contracts, cf.ECDSAFromBlock, node.MaxLogRange, registry.WithBatchSize(node.batchSize()))
	if err != nil {
		client.Close()
		return nil, err
	}
	log.Info("connected", "chain_id", contracts.ChainID, "ecdsa_stake_registry", contracts.ECDSAStakeRegistry,
		"delegation_manager", contracts.DelegationManager, "from_block", cf.ECDSAFromBlock)
	return &chain{rpc: client, eth: eth, contracts: contracts, reader: reader, httpClient: httpClient}, nil
}

// batchSize is --rpc-batch-size, cut to --rpc-rate-limit: a batch of more calls than a second's
// allowance would pass the provider's limit in one request.
func (n NodeFlags) batchSize() int { return rpclimit.BatchSize(n.RPCBatchSize, n.RPCRateLimit) }

// redact hides credentials and API keys that node URLs often carry in their user info, path,
// query or fragment: what is left names the node (scheme, host and port).
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid URL>"
	}
	hidden := u.Path != "" && u.Path != "/"
	u.User, u.Path, u.RawPath, u.RawQuery, u.Fragment, u.RawFragment = nil, "", "", "", "", ""
	if hidden {
		return u.String() + "/…"
	}
	return u.String()
}

// registryName names the AVS's registry for a report's first line.
func registryName(c registry.Contracts) string {
	if c.ECDSAStakeRegistry != (common.Address{}) {
		return "ECDSA stake registry " + c.ECDSAStakeRegistry.Hex()
	}
	return "registry coordinator " + c.RegistryCoordinator.Hex()
}
