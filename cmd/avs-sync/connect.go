package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
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
)

// chain is a connection to the node and the AVS's contracts on it.
type chain struct {
	rpc       *rpc.Client
	eth       *ethclient.Client
	contracts registry.Contracts
	reader    *registry.Reader
	// httpClient carries every HTTP JSON-RPC request, counted by method on the metrics registry.
	httpClient *http.Client
}

// connect dials the node, checks the chain id and that the AVS's contracts are where the flags
// say, and discovers the rest of the deployment.
func connect(ctx context.Context, log *slog.Logger, node NodeFlags, cf ContractFlags, reg prometheus.Registerer) (*chain, error) {
	if err := node.Validate(); err != nil {
		return nil, usage(err)
	}
	rc, err := parseAddress("registry-coordinator-addr", cf.RegistryCoordinatorAddr, true)
	if err != nil {
		return nil, usage(err)
	}
	osr, err := parseAddress("operator-state-retriever-addr", cf.OperatorStateRetrieverAddr, true)
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
	httpClient.Transport = rpcretry.New(
		rpclimit.Rate(rpclimit.Transport(httpClient.Transport, rpclimit.DefaultMaxReply), node.RPCRateLimit),
		rpcretry.ForBlockTime(node.BlockTime), faultlog.New(log, "node requests", time.Minute, nil), reg)
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
