// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title TradeEscrow
/// @notice Holds a buyer's stablecoin payment for a cross-border trade until delivery is confirmed.
/// One singleton holds many deals. Each deal is keyed by a `bytes32` deal id and bound to the EIP-712
/// digest of the trade terms that the seller signed. Storage keeps one word per deal: the high 192 bits
/// of the terms digest, the shipping timestamp and the status. Every call after `open` passes the terms
/// again and the contract checks them against that word, so the terms can never change after funding.
/// @dev Lifecycle: Funded -> (Shipped) -> Released | Refunded. Every non-final state has a deadline:
/// a deal not shipped by `shipBy` can be refunded to the buyer by anyone; a shipped deal that the buyer
/// neither confirms nor has refunded within `inspectionPeriod` seconds can be released to the seller by
/// anyone. Payouts always equal the deposit: the whole amount goes to exactly one party.
contract TradeEscrow is EIP712, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The trade terms a seller signs and a buyer funds.
    /// @param dealId Unique id of the deal, chosen by the marketplace.
    /// @param buyer Address that funds the deal and confirms receipt.
    /// @param seller Address that signs the terms, ships and receives the payment.
    /// @param token Allowed ERC-20 token the payment is made in.
    /// @param amount Payment in the token's smallest unit.
    /// @param shipBy Unix time by which the seller must mark the deal shipped.
    /// @param inspectionPeriod Seconds after shipping during which only the buyer may release.
    /// @param detailsHash keccak256 of the canonical commercial details (goods, Incoterm, FX snapshot).
    struct Terms {
        bytes32 dealId;
        address buyer;
        address seller;
        address token;
        uint256 amount;
        uint64 shipBy;
        uint32 inspectionPeriod;
        bytes32 detailsHash;
    }

    /// @notice State of a deal. `None` means the id was never opened.
    enum Status {
        None,
        Funded,
        Shipped,
        Released,
        Refunded
    }

    /// @notice EIP-712 type hash of {Terms}.
    bytes32 public constant TERMS_TYPEHASH = keccak256(
        "Terms(bytes32 dealId,address buyer,address seller,address token,uint256 amount,uint64 shipBy,"
        "uint32 inspectionPeriod,bytes32 detailsHash)"
    );

    /// @notice Role that may allow and disallow payment tokens.
    bytes32 public constant TOKEN_ADMIN_ROLE = keccak256("TOKEN_ADMIN_ROLE");

    uint256 private constant _DIGEST_MASK = ~uint256(0) << 64;
    uint256 private constant _STATUS_MASK = 0xff;

    mapping(bytes32 dealId => uint256 record) private _deals;

    /// @notice Whether a token may be used for new deals.
    mapping(address token => bool allowed) public allowedToken;

    /// @notice A deal was funded by its buyer under terms signed by its seller.
    event DealOpened(
        bytes32 indexed dealId,
        address indexed buyer,
        address indexed seller,
        address token,
        uint256 amount,
        uint64 shipBy,
        uint32 inspectionPeriod,
        bytes32 detailsHash,
        bytes32 termsDigest
    );
    /// @notice The seller declared the goods shipped, with the hash of the shipping document.
    event DealShipped(bytes32 indexed dealId, address indexed seller, bytes32 documentHash);
    /// @notice The deposit was paid to the seller. `by` is the buyer, or anyone after inspection expired.
    event DealReleased(bytes32 indexed dealId, address indexed seller, address token, uint256 amount, address by);
    /// @notice The deposit was returned to the buyer. `by` is the seller, or anyone after `shipBy`.
    event DealRefunded(bytes32 indexed dealId, address indexed buyer, address token, uint256 amount, address by);
    /// @notice A token was allowed or disallowed for new deals.
    event TokenAllowed(address indexed token, bool allowed);

    /// @notice The token is not on the allowlist.
    error TokenNotAllowed(address token);
    /// @notice A deal with this id already exists.
    error DealExists(bytes32 dealId);
    /// @notice The terms passed do not match those the deal was opened with (or the deal does not exist).
    error TermsMismatch(bytes32 dealId);
    /// @notice The deal is not in a state that allows this action.
    error WrongStatus(bytes32 dealId, Status status);
    /// @notice The caller is not allowed to perform this action on the deal.
    error Unauthorized(bytes32 dealId, address caller);
    /// @notice The seller's signature does not match the terms.
    error InvalidSellerSignature(bytes32 dealId);
    /// @notice The terms are malformed (zero amount, same buyer and seller, deadline passed, ...).
    error InvalidTerms(bytes32 dealId);
    /// @notice The shipping deadline has passed.
    error ShipDeadlinePassed(bytes32 dealId, uint64 shipBy);
    /// @notice The escrow received a different amount than the terms state (fee-on-transfer token).
    error AmountNotReceived(bytes32 dealId, uint256 expected, uint256 received);

    /// @param admin Receives the default admin and token admin roles.
    constructor(address admin) EIP712("Tradewind TradeEscrow", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(TOKEN_ADMIN_ROLE, admin);
    }

    /// @notice Allows or disallows a payment token for new deals. Existing deals are not affected.
    /// @param token The ERC-20 token.
    /// @param allowed Whether new deals may use it.
    function setTokenAllowed(address token, bool allowed) external onlyRole(TOKEN_ADMIN_ROLE) {
        allowedToken[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    /// @notice Funds a deal. The caller must be the buyer and must have approved `terms.amount`.
    /// @param terms The trade terms.
    /// @param sellerSignature The seller's EIP-712 signature over `terms` (EOA or ERC-1271 wallet).
    function open(Terms calldata terms, bytes calldata sellerSignature) external nonReentrant {
        bytes32 dealId = terms.dealId;
        if (_deals[dealId] != 0) revert DealExists(dealId);
        if (msg.sender != terms.buyer) revert Unauthorized(dealId, msg.sender);
        if (!allowedToken[terms.token]) revert TokenNotAllowed(terms.token);
        if (
            terms.amount == 0 || terms.seller == address(0) || terms.seller == terms.buyer
                || terms.shipBy <= block.timestamp
        ) revert InvalidTerms(dealId);
        bytes32 digest = termsDigest(terms);
        if (!SignatureChecker.isValidSignatureNowCalldata(terms.seller, digest, sellerSignature)) {
            revert InvalidSellerSignature(dealId);
        }
        _deals[dealId] = (uint256(digest) & _DIGEST_MASK) | uint256(Status.Funded);

        IERC20 token = IERC20(terms.token);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), terms.amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != terms.amount) revert AmountNotReceived(dealId, terms.amount, received);

        emit DealOpened(
            dealId,
            terms.buyer,
            terms.seller,
            terms.token,
            terms.amount,
            terms.shipBy,
            terms.inspectionPeriod,
            terms.detailsHash,
            digest
        );
    }

    /// @notice The seller declares the goods shipped before `shipBy`, with a shipping document hash.
    /// @param terms The deal's terms.
    /// @param documentHash Hash of the bill of lading or other shipping document.
    function markShipped(Terms calldata terms, bytes32 documentHash) external {
        bytes32 dealId = terms.dealId;
        Status status = _statusOf(terms);
        if (msg.sender != terms.seller) revert Unauthorized(dealId, msg.sender);
        if (status != Status.Funded) revert WrongStatus(dealId, status);
        if (block.timestamp > terms.shipBy) revert ShipDeadlinePassed(dealId, terms.shipBy);
        _deals[dealId] = (_deals[dealId] & _DIGEST_MASK) | (block.timestamp << 8) | uint256(Status.Shipped);
        emit DealShipped(dealId, msg.sender, documentHash);
    }

    /// @notice Pays the deposit to the seller. The buyer may release a funded or shipped deal at any
    /// time; anyone may release a shipped deal once its inspection period has ended.
    /// @param terms The deal's terms.
    function release(Terms calldata terms) external nonReentrant {
        bytes32 dealId = terms.dealId;
        Status status = _statusOf(terms);
        if (status != Status.Funded && status != Status.Shipped) revert WrongStatus(dealId, status);
        if (msg.sender != terms.buyer) {
            uint256 shippedAt = (_deals[dealId] >> 8) & type(uint56).max;
            if (status != Status.Shipped || block.timestamp <= shippedAt + terms.inspectionPeriod) {
                revert Unauthorized(dealId, msg.sender);
            }
        }
        _finish(dealId, Status.Released);
        IERC20(terms.token).safeTransfer(terms.seller, terms.amount);
        emit DealReleased(dealId, terms.seller, terms.token, terms.amount, msg.sender);
    }

    /// @notice Returns the deposit to the buyer. The seller may refund a funded or shipped deal at any
    /// time; anyone may refund a deal that was not shipped by `shipBy`.
    /// @param terms The deal's terms.
    function refund(Terms calldata terms) external nonReentrant {
        bytes32 dealId = terms.dealId;
        Status status = _statusOf(terms);
        if (status != Status.Funded && status != Status.Shipped) revert WrongStatus(dealId, status);
        if (msg.sender != terms.seller && (status != Status.Funded || block.timestamp <= terms.shipBy)) {
            revert Unauthorized(dealId, msg.sender);
        }
        _finish(dealId, Status.Refunded);
        IERC20(terms.token).safeTransfer(terms.buyer, terms.amount);
        emit DealRefunded(dealId, terms.buyer, terms.token, terms.amount, msg.sender);
    }

    /// @notice Status of a deal and the time it was marked shipped (0 if not shipped).
    /// @param dealId The deal id.
    function dealStatus(bytes32 dealId) external view returns (Status status, uint256 shippedAt) {
        uint256 record = _deals[dealId];
        return (Status(record & _STATUS_MASK), (record >> 8) & type(uint56).max);
    }

    /// @notice EIP-712 digest of the terms under this contract's domain, as the seller signs it.
    /// @param terms The trade terms.
    function termsDigest(Terms calldata terms) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(TERMS_TYPEHASH, terms)));
    }

    function _statusOf(Terms calldata terms) private view returns (Status) {
        uint256 record = _deals[terms.dealId];
        if (record == 0 || (record & _DIGEST_MASK) != (uint256(termsDigest(terms)) & _DIGEST_MASK)) {
            revert TermsMismatch(terms.dealId);
        }
        return Status(record & _STATUS_MASK);
    }

    function _finish(bytes32 dealId, Status outcome) private {
        _deals[dealId] = (_deals[dealId] & ~_STATUS_MASK) | uint256(outcome);
    }
}
