package submitter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/Layr-Labs/eigensdk-go/chainio/clients/wallet"
	"github.com/Layr-Labs/eigensdk-go/signerv2"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/avs-sync/avs-sync/internal/backoff"
)

// Receipt lookups that found none.
var (
	// errPending: not mined yet.
	errPending = errors.New("transaction pending")
	// errNotBroadcast: Fireblocks holds the transaction (approval, signing): not on the network
	// yet, so it has no hash a replacement could name.
	errNotBroadcast = errors.New("transaction not broadcast yet")
	// errDead: it will never be mined (Fireblocks cancelled, rejected or failed it).
	errDead = errors.New("transaction will not be mined")
)

// broadcaster signs a priced transaction and hands it to the network, and finds its receipt.
type broadcaster interface {
	// broadcast returns the id that finds the transaction again, also with an error when the
	// transaction was signed (the pool's "already known" names one that is there).
	broadcast(ctx context.Context, tx *types.Transaction) (string, error)
	// receipt returns the mined receipt, or errPending, errNotBroadcast, errDead, another error.
	receipt(ctx context.Context, id string) (*types.Receipt, error)
	// custody is the Sender's way of keeping nonces and attempts with this signer.
	custody(s *Sender) custody
}

// keyBroadcaster signs with one of the SDK's signers (private key, keystore, Secrets Manager,
// KMS) and sends through the node. Signing here rather than in the SDK's wallet gives the hash
// before sending, so "already known" still names the transaction.
type keyBroadcaster struct {
	client *ethclient.Client
	signer signerv2.SignerFn
	from   common.Address
}

func (k keyBroadcaster) broadcast(ctx context.Context, tx *types.Transaction) (string, error) {
	sign, err := k.signer(ctx, k.from)
	if err != nil {
		return "", fmt.Errorf("signer: %w", err)
	}
	signed, err := sign(k.from, tx)
	if err != nil {
		return "", fmt.Errorf("sign transaction: %w", err)
	}
	return signed.Hash().Hex(), resend(ctx, func() error { return k.client.SendTransaction(ctx, signed) })
}

// Resends of one signed transaction whose request failed on the way (see resend).
const (
	sendAttempts   = 4
	firstResendGap = 100 * time.Millisecond
)

// resend sends, and sends again up to sendAttempts in all while the request failed on its way to
// the node: a gateway's 429/502/503/504 or a dropped connection. These are the same signed bytes,
// not a new transaction: a node that did get the first takes the next as "already known", which
// the sender waits on, and no second transaction can come of it. An answer from the node itself
// (a JSON-RPC error) is the sender's to judge.
func resend(ctx context.Context, send func() error) error {
	gaps := backoff.Policy{First: firstResendGap, Max: firstResendGap << (sendAttempts - 2)}
	for attempt := 1; ; attempt++ {
		err := send()
		if err == nil || attempt >= sendAttempts || !failedOnTheWay(err) {
			return err
		}
		if backoff.Sleep(ctx, gaps.Delay(attempt)) != nil {
			return err
		}
	}
}

// failedOnTheWay reports whether a request's error is the way's, not the node's: an HTTP status
// from a gateway that passes on no answer, or a connection that failed.
func failedOnTheWay(err error) bool {
	var he rpc.HTTPError
	if errors.As(err, &he) {
		switch he.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var ue *url.Error
	return errors.As(err, &ue) && !ue.Timeout() && !errors.Is(err, context.Canceled)
}

func (k keyBroadcaster) receipt(ctx context.Context, id string) (*types.Receipt, error) {
	r, err := k.client.TransactionReceipt(ctx, common.HexToHash(id))
	if errors.Is(err, ethereum.NotFound) {
		return nil, errPending
	}
	return r, err
}

func (keyBroadcaster) custody(s *Sender) custody { return keyCustody{s: s} }

// fireblocksBroadcaster sends through the SDK's Fireblocks wallet, which creates one Fireblocks
// transaction per broadcast (a replacement names the hash of the one it replaces).
type fireblocksBroadcaster struct {
	w wallet.Wallet
}

// fireblocksCanceller is the cancel the SDK's Fireblocks wallet has beyond wallet.Wallet.
type fireblocksCanceller interface {
	CancelTransactionBroadcast(ctx context.Context, txID wallet.TxID) (bool, error)
}

func (f fireblocksBroadcaster) broadcast(ctx context.Context, tx *types.Transaction) (string, error) {
	return f.w.SendTransaction(ctx, tx)
}

func (f fireblocksBroadcaster) receipt(ctx context.Context, id string) (*types.Receipt, error) {
	r, err := f.w.GetTransactionReceipt(ctx, id)
	switch {
	case err == nil:
		return r, nil
	case errors.Is(err, wallet.ErrNotYetBroadcasted):
		return nil, fmt.Errorf("%w: %w", errNotBroadcast, err)
	case errors.Is(err, wallet.ErrReceiptNotYetAvailable):
		return nil, fmt.Errorf("%w: %w", errPending, err)
	case errors.Is(err, wallet.ErrTransactionFailed):
		return nil, fmt.Errorf("%w: %w: %w", errDead, ErrRejected, err)
	}
	return nil, err
}

func (f fireblocksBroadcaster) custody(s *Sender) custody { return &fireblocksCustody{s: s, f: f} }

// cancel withdraws a transaction not yet broadcast; false when it is too late.
func (f fireblocksBroadcaster) cancel(ctx context.Context, id string) (bool, error) {
	c, ok := f.w.(fireblocksCanceller)
	if !ok {
		return false, errors.New("wallet cannot cancel")
	}
	return c.CancelTransactionBroadcast(ctx, id)
}

// freshContext is a context for clean-up after ctx expired: its values, none of its deadline.
func freshContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), timeout)
}
