// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title SettlementRegistry
/// @notice Anchors Merkle roots of settlement leaves so that anyone can check, against this contract
/// alone, that a settlement was recorded. Leaves are double-hashed
/// (`keccak256(bytes.concat(keccak256(abi.encode(...))))`) and pairs are sorted, as in OpenZeppelin's
/// `MerkleProof` and `StandardMerkleTree`. A root or a single leaf can be revoked, with a reason; revoked
/// data no longer verifies. Each anchor names a schema (registered once: hash of the leaf format and a
/// URI where batches and proof bundles are published).
contract SettlementRegistry is AccessControl {
    /// @notice May anchor roots.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");
    /// @notice May revoke roots and leaves and register schemas.
    bytes32 public constant REVOKER_ROLE = keccak256("REVOKER_ROLE");

    /// @notice What is recorded for an anchored root (one storage word).
    struct Anchor {
        uint64 batchId;
        uint32 leafCount;
        uint32 schemaId;
        uint40 anchoredAt;
        bool revoked;
    }

    /// @notice A registered leaf format.
    struct Schema {
        bytes32 schemaHash;
        string uri;
    }

    // packed Anchor: batchId (bits 0-63) | leafCount (64-95) | schemaId (96-127) | anchoredAt (128-167)
    // | revoked (168)
    mapping(bytes32 root => uint256 record) private _anchors;
    mapping(bytes32 rootAndLeaf => bool) private _revokedLeaves;
    Schema[] private _schemas;

    /// @notice A Merkle root was anchored for batch `batchId` (leaf count and schema: {anchorOf}).
    event RootAnchored(bytes32 indexed root, uint64 batchId);
    /// @notice A root was revoked; none of its leaves verifies any more.
    event RootRevoked(bytes32 indexed root, string reason);
    /// @notice One leaf of a root was revoked.
    event LeafRevoked(bytes32 indexed root, bytes32 indexed leaf, string reason);
    /// @notice A schema was registered under `schemaId`.
    event SchemaRegistered(uint32 indexed schemaId, bytes32 schemaHash, string uri);

    /// @notice The root is zero, the batch is empty or the schema id is zero.
    error EmptyBatch();
    /// @notice This root is already anchored.
    error AlreadyAnchored(bytes32 root);
    /// @notice This root was never anchored.
    error NotAnchored(bytes32 root);
    /// @notice No schema with this id.
    error UnknownSchema(uint32 schemaId);

    /// @param admin Receives the admin, anchorer and revoker roles.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, admin);
        _grantRole(REVOKER_ROLE, admin);
    }

    /// @notice Registers a leaf format; ids start at 1.
    /// @param schemaHash Hash of the leaf format's specification.
    /// @param uri Where batches and proof bundles of this schema are published.
    /// @return schemaId The new schema's id.
    function registerSchema(bytes32 schemaHash, string calldata uri)
        external
        onlyRole(REVOKER_ROLE)
        returns (uint32 schemaId)
    {
        _schemas.push(Schema(schemaHash, uri));
        schemaId = uint32(_schemas.length);
        emit SchemaRegistered(schemaId, schemaHash, uri);
    }

    /// @notice The schema registered under `schemaId`.
    /// @param schemaId A registered schema id.
    function schemaOf(uint32 schemaId) external view returns (Schema memory) {
        if (schemaId == 0 || schemaId > _schemas.length) revert UnknownSchema(schemaId);
        return _schemas[schemaId - 1];
    }

    /// @notice Anchors a Merkle root of settlement leaves. The schema id is recorded as given: anchor only
    /// under registered schemas (readers resolve it with {schemaOf}).
    /// @param root The Merkle root.
    /// @param batchId The marketplace's batch number.
    /// @param leafCount How many settlements the tree holds.
    /// @param schemaId The registered format of the leaves.
    function anchor(bytes32 root, uint64 batchId, uint32 leafCount, uint32 schemaId) external {
        if (!hasRole(ANCHORER_ROLE, msg.sender)) revert AccessControlUnauthorizedAccount(msg.sender, ANCHORER_ROLE);
        if (root == bytes32(0) || leafCount == 0 || schemaId == 0) revert EmptyBatch();
        if (_anchors[root] != 0) revert AlreadyAnchored(root);
        _anchors[root] = uint256(batchId) | (uint256(leafCount) << 64) | (uint256(schemaId) << 96)
            | (block.timestamp << 128);
        emit RootAnchored(root, batchId);
    }

    /// @notice Revokes a root: none of its leaves verifies any more.
    /// @param root An anchored root.
    /// @param reason Why, for the record.
    function revokeRoot(bytes32 root, string calldata reason) external onlyRole(REVOKER_ROLE) {
        if (_anchors[root] == 0) revert NotAnchored(root);
        _anchors[root] |= 1 << 168;
        emit RootRevoked(root, reason);
    }

    /// @notice Revokes one leaf of an anchored root.
    /// @param root An anchored root.
    /// @param leaf The leaf to revoke.
    /// @param reason Why, for the record.
    function revokeLeaf(bytes32 root, bytes32 leaf, string calldata reason) external onlyRole(REVOKER_ROLE) {
        if (_anchors[root] == 0) revert NotAnchored(root);
        _revokedLeaves[keccak256(abi.encode(root, leaf))] = true;
        emit LeafRevoked(root, leaf, reason);
    }

    /// @notice Whether `root` was anchored and not revoked.
    /// @param root The Merkle root.
    function isAnchored(bytes32 root) public view returns (bool) {
        uint256 record = _anchors[root];
        return record != 0 && (record >> 168) & 1 == 0;
    }

    /// @notice Whether `leaf` of `root` was revoked.
    /// @param root The Merkle root.
    /// @param leaf The leaf.
    function isLeafRevoked(bytes32 root, bytes32 leaf) public view returns (bool) {
        return _revokedLeaves[keccak256(abi.encode(root, leaf))];
    }

    /// @notice The record of a root (all zero if never anchored).
    /// @param root The Merkle root.
    function anchorOf(bytes32 root) external view returns (Anchor memory) {
        uint256 record = _anchors[root];
        return Anchor({
            batchId: uint64(record),
            leafCount: uint32(record >> 64),
            schemaId: uint32(record >> 96),
            anchoredAt: uint40(record >> 128),
            revoked: (record >> 168) & 1 == 1
        });
    }

    /// @notice Whether `leaf` is in the anchored, unrevoked tree `root`, and not revoked itself.
    /// @param root An anchored Merkle root.
    /// @param proof Sibling hashes from the leaf up to the root.
    /// @param leaf A settlement leaf, as returned by {settlementLeaf}.
    function verify(bytes32 root, bytes32[] calldata proof, bytes32 leaf) external view returns (bool) {
        return isAnchored(root) && !isLeafRevoked(root, leaf) && MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice The leaf of one settlement: which deal, and who got how much in the end.
    /// @param key The deal's key in TradeEscrow (the EIP-712 digest of its terms).
    /// @param token The payment token.
    /// @param buyerAmount Total paid to the buyer.
    /// @param sellerAmount Total paid to the seller, after platform fees.
    /// @param platformFee Total platform fees.
    /// @param arbiterFee Arbiter's fee.
    /// @param outcome TradeEscrow.Outcome of the deal.
    function settlementLeaf(
        bytes32 key,
        address token,
        uint256 buyerAmount,
        uint256 sellerAmount,
        uint256 platformFee,
        uint256 arbiterFee,
        uint8 outcome
    ) external pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                keccak256(
                    abi.encode(key, token, buyerAmount, sellerAmount, platformFee, arbiterFee, outcome)
                )
            )
        );
    }
}
