package devnet

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// SteadyTips holds the node's suggested priority fee (eth_maxPriorityFeePerGas) at tip, the way
// other users' transactions anchor it on a real network, until the returned stop is called.
//
// Without it a busy devnet's fee market is a closed loop: every sender pays the SDK transaction
// manager's suggested tip plus 25%, the node suggests what recent blocks paid, and tips grow by a
// quarter every few blocks, until a large transaction's fee (gas limit times fee cap) passes the
// node's 1 ETH cap and the node refuses it. The node suggests the 60th percentile of the three
// lowest tips of each recent block, so at every block each of keys (at least two) sends a
// zero-value transfer to itself paying exactly tip.
func (d *Devnet) SteadyTips(ctx context.Context, tip *big.Int, keys ...int) (stop func(), err error) {
	if len(keys) < 2 {
		return nil, fmt.Errorf("steady tips: need at least two keys, got %d", len(keys))
	}
	ws, err := ethclient.DialContext(ctx, d.WSURL)
	if err != nil {
		return nil, fmt.Errorf("steady tips: dial websocket: %w", err)
	}
	client, err := ethclient.DialContext(ctx, d.HTTPURL)
	if err != nil {
		ws.Close()
		return nil, fmt.Errorf("steady tips: dial: %w", err)
	}
	heads := make(chan *types.Header, 16)
	runCtx, cancel := context.WithCancel(context.Background())
	sub, err := ws.SubscribeNewHead(runCtx, heads)
	if err != nil {
		cancel()
		ws.Close()
		client.Close()
		return nil, fmt.Errorf("steady tips: subscribe to new heads: %w", err)
	}
	senders := make([]*tipSender, len(keys))
	for i, k := range keys {
		senders[i] = &tipSender{key: d.keys[k], nonce: -1}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sub.Unsubscribe()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-sub.Err():
				return
			case h := <-heads:
				for _, s := range senders {
					s.send(runCtx, client, h, tip)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
		ws.Close()
		client.Close()
	}, nil
}

// tipSender is one account of SteadyTips, owned by its goroutine.
type tipSender struct {
	key *ecdsa.PrivateKey
	// nonce is the next nonce to use; -1 means read it from the node.
	nonce int64
}

// send sends one transfer paying tip, best effort: a failure makes the next one re-read the nonce.
func (s *tipSender) send(ctx context.Context, client *ethclient.Client, head *types.Header, tip *big.Int) {
	addr := crypto.PubkeyToAddress(s.key.PublicKey)
	if s.nonce < 0 {
		n, err := client.PendingNonceAt(ctx, addr)
		if err != nil {
			return
		}
		s.nonce = int64(n)
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	tx, err := types.SignNewTx(s.key, types.LatestSignerForChainID(big.NewInt(ChainID)), &types.DynamicFeeTx{
		ChainID:   big.NewInt(ChainID),
		Nonce:     uint64(s.nonce),
		GasTipCap: tip,
		GasFeeCap: feeCap,
		Gas:       21_000,
		To:        &addr,
	})
	if err != nil {
		return
	}
	if err := client.SendTransaction(ctx, tx); err != nil {
		s.nonce = -1
		return
	}
	s.nonce++
}
