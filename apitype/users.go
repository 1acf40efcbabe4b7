package apitype

// User is the user object: exactly the documented keys, every one a string.
type User struct {
	ID          string `json:"id"`
	UUID        string `json:"uuid"`
	FirstName   string `json:"first_name"`
	MiddleName  string `json:"middle_name"`
	LastName    string `json:"last_name"`
	Email       string `json:"email"`
	PhoneNumber string `json:"phone_number"`
	DateOfBirth string `json:"date_of_birth"`
	AddressOne  string `json:"address_one"`
	AddressTwo  string `json:"address_two"`
	City        string `json:"city"`
	State       string `json:"state"`
	Country     string `json:"country"`
	PostalCode  string `json:"postal_code"`
	SSNLast4    string `json:"ssn_last_4"`
	Status      string `json:"status"`
	KYCStatus   string `json:"kyc_status"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

// MetaData is a name/value pair kept with a user.
type MetaData struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CreateUserRequest is the body of /user/create.
type CreateUserRequest struct {
	Common
	FirstName     string     `json:"first_name"`
	MiddleName    string     `json:"middle_name,omitempty"`
	LastName      string     `json:"last_name"`
	Email         string     `json:"email"`
	PhoneNumber   string     `json:"phone_number"`
	DateOfBirth   string     `json:"date_of_birth,omitempty"`
	AddressOne    string     `json:"address_one"`
	AddressTwo    string     `json:"address_two,omitempty"`
	City          string     `json:"city"`
	State         string     `json:"state"`
	Country       string     `json:"country"`
	PostalCode    string     `json:"postal_code"`
	SSN           string     `json:"ssn,omitempty"`
	Username      string     `json:"username,omitempty"`
	TermsAccepted bool       `json:"terms_accepted,omitempty"`
	MetaData      []MetaData `json:"meta_data,omitempty"`
	BusinessID    string     `json:"business_id,omitempty"`
	// IsVendor, with BusinessID, makes the user a vendor of that business
	// rather than a customer; Vendor is its alias (both sent must agree).
	IsVendor *bool `json:"is_vendor,omitempty"`
	Vendor   *bool `json:"vendor,omitempty"`
}

// ListUsersRequest is the body of /user/get-all. Pointers distinguish "not
// sent" (default) from an explicit out-of-range value (an error).
type ListUsersRequest struct {
	Common
	Email     string `json:"email,omitempty"`
	Search    string `json:"search,omitempty"`
	Page      *int   `json:"page,omitempty"`
	PerPage   *int   `json:"per_page,omitempty"`
	Status    string `json:"status,omitempty"`
	KYCStatus string `json:"kyc_status,omitempty"`
	Sort      string `json:"sort,omitempty"`
}

// UpdateUserRequest is the body of /user/update. A nil field is left as it is.
// Email cannot change: the server refuses any email key (400 naming it), null
// included. It is declared so that a client sending it gets that answer.
type UpdateUserRequest struct {
	Common
	UserID      string      `json:"user_id"`
	Email       *string     `json:"email,omitempty"`
	FirstName   *string     `json:"first_name,omitempty"`
	MiddleName  *string     `json:"middle_name,omitempty"`
	LastName    *string     `json:"last_name,omitempty"`
	PhoneNumber *string     `json:"phone_number,omitempty"`
	DateOfBirth *string     `json:"date_of_birth,omitempty"`
	AddressOne  *string     `json:"address_one,omitempty"`
	AddressTwo  *string     `json:"address_two,omitempty"`
	City        *string     `json:"city,omitempty"`
	State       *string     `json:"state,omitempty"`
	PostalCode  *string     `json:"postal_code,omitempty"`
	Country     *string     `json:"country,omitempty"`
	Username    *string     `json:"username,omitempty"`
	SSN         *string     `json:"ssn,omitempty"`
	MetaData    *[]MetaData `json:"meta_data,omitempty"`
}

// UserRequest is the body of calls that name one user: /user/get and
// /user/send-verification-request.
type UserRequest struct {
	Common
	UserID string `json:"user_id"`
}

// BlockUserRequest is the body of /user/block and /user/unblock.
type BlockUserRequest struct {
	Common
	UserID string `json:"user_id"`
	Reason string `json:"reason,omitempty"`
}

// UserEventsRequest is the body of /user/events.
type UserEventsRequest struct {
	Common
	UserID  string `json:"user_id"`
	Page    *int   `json:"page,omitempty"`
	PerPage *int   `json:"per_page,omitempty"`
}
