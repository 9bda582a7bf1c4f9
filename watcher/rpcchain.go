package watcher

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// rpcChain is the chainReader over a node's HTTP JSON-RPC: ethclient's single reads, plus
// batched header and by-hash log reads of at most batch calls per request.
type rpcChain struct {
	*ethclient.Client
	rpc   *rpc.Client
	batch int
}

// dialChain opens url, through client when set.
func dialChain(ctx context.Context, url string, client *http.Client, batch int) (*rpcChain, error) {
	var opts []rpc.ClientOption
	if client != nil {
		opts = append(opts, rpc.WithHTTPClient(client))
	}
	c, err := rpc.DialOptions(ctx, url, opts...)
	if err != nil {
		return nil, err
	}
	return &rpcChain{Client: ethclient.NewClient(c), rpc: c, batch: batch}, nil
}

// HeadersByNumber returns the headers of blocks from..to, up to the first the node answers null.
func (c *rpcChain) HeadersByNumber(ctx context.Context, from, to uint64) ([]*types.Header, error) {
	if to < from {
		return nil, nil
	}
	hdrs := make([]*types.Header, to-from+1)
	elems := make([]rpc.BatchElem, len(hdrs))
	for i := range elems {
		elems[i] = rpc.BatchElem{Method: "eth_getBlockByNumber", Args: []any{hexutil.EncodeUint64(from + uint64(i)), false}, Result: &hdrs[i]}
	}
	if err := c.batchCall(ctx, elems); err != nil {
		return nil, err
	}
	for i, e := range elems {
		switch {
		case e.Error != nil:
			return nil, fmt.Errorf("block %d: %w", from+uint64(i), e.Error)
		case hdrs[i] == nil:
			return hdrs[:i], nil
		}
	}
	return hdrs, nil
}

// FilterLogsByHash returns the logs matching q's addresses and topics of each block hash.
func (c *rpcChain) FilterLogsByHash(ctx context.Context, q ethereum.FilterQuery, hashes []common.Hash) ([][]types.Log, error) {
	out := make([][]types.Log, len(hashes))
	elems := make([]rpc.BatchElem, len(hashes))
	for i, h := range hashes {
		arg := map[string]any{"address": q.Addresses, "topics": q.Topics, "blockHash": h}
		elems[i] = rpc.BatchElem{Method: "eth_getLogs", Args: []any{arg}, Result: &out[i]}
	}
	if err := c.batchCall(ctx, elems); err != nil {
		return nil, err
	}
	var errs []error
	for i, e := range elems {
		if e.Error != nil {
			errs = append(errs, fmt.Errorf("logs of block %s: %w", hashes[i], e.Error))
		}
	}
	return out, errors.Join(errs...)
}

// batchCall sends elems in batches of at most c.batch calls.
func (c *rpcChain) batchCall(ctx context.Context, elems []rpc.BatchElem) error {
	size := max(1, c.batch)
	for start := 0; start < len(elems); start += size {
		if err := c.rpc.BatchCallContext(ctx, elems[start:min(start+size, len(elems))]); err != nil {
			return err
		}
	}
	return nil
}
