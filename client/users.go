package client

import (
	"context"

	"github.com/ingot-dev/ingot/apitype"
)

// CreateUser onboards a user (status active, kyc_status not_started). It is
// retried safely under one idempotent_key: req.IdempotentKey if set, else a
// key generated for this call. A duplicate email is ErrConflict; validation
// failures are ErrInvalid with Fields.
func (c *Client) CreateUser(ctx context.Context, req apitype.CreateUserRequest) (apitype.User, error) {
	ensureKey(&req.Common)
	return single[apitype.User](ctx, c, "user/create", req)
}

// ListUsers returns one page of the program's users matching req's filters,
// with pagination totals for the whole result.
func (c *Client) ListUsers(ctx context.Context, req apitype.ListUsersRequest) (apitype.Page[apitype.User], error) {
	return pageOf[apitype.User](ctx, c, "user/get-all", req)
}

// GetUser reads one user; ErrNotFound if it is not in the caller's program.
func (c *Client) GetUser(ctx context.Context, userID string) (apitype.User, error) {
	return single[apitype.User](ctx, c, "user/get", apitype.UserRequest{UserID: userID})
}

// UpdateUser changes the non-nil fields of req and returns the user as
// updated. Retried under one idempotent_key, like CreateUser. Identity
// fields of a user in or past verification are ErrConflict.
func (c *Client) UpdateUser(ctx context.Context, req apitype.UpdateUserRequest) (apitype.User, error) {
	ensureKey(&req.Common)
	return single[apitype.User](ctx, c, "user/update", req)
}

// BlockUser stops an active user from transacting; blocking a blocked user
// is ErrConflict. The reason is kept in the user's audit trail.
func (c *Client) BlockUser(ctx context.Context, userID, reason string) (apitype.User, error) {
	req := apitype.BlockUserRequest{UserID: userID, Reason: reason}
	ensureKey(&req.Common)
	return single[apitype.User](ctx, c, "user/block", req)
}

// UnblockUser makes a blocked user active again; unblocking a user that is
// not blocked is ErrConflict.
func (c *Client) UnblockUser(ctx context.Context, userID, reason string) (apitype.User, error) {
	req := apitype.BlockUserRequest{UserID: userID, Reason: reason}
	ensureKey(&req.Common)
	return single[apitype.User](ctx, c, "user/unblock", req)
}

// SendVerificationRequest starts KYC for an active user with date of birth
// and SSN. The outcome arrives later: poll GetUser for kyc_status or read
// UserEvents.
func (c *Client) SendVerificationRequest(ctx context.Context, userID string) error {
	req := apitype.UserRequest{UserID: userID}
	ensureKey(&req.Common)
	return c.send(ctx, "user/send-verification-request", req, true, nil)
}

// UserEvents returns one page of a user's audit trail, newest first.
func (c *Client) UserEvents(ctx context.Context, req apitype.UserEventsRequest) (apitype.Page[apitype.Event], error) {
	return pageOf[apitype.Event](ctx, c, "user/events", req)
}
