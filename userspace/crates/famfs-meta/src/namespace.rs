// SPDX-License-Identifier: GPL-2.0
//! The file tree the log describes, queryable by path and by inode number.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use famfs_omf::Fmap;
use serde::Serialize;

/// Inode number. The root is [`ROOT_INO`]; others count up in log order.
pub type Ino = u64;
/// The root directory's inode number.
pub const ROOT_INO: Ino = 1;

/// What a node is.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum NodeKind {
    Dir {
        #[serde(skip)]
        children: BTreeMap<String, Ino>,
    },
    File {
        size: u64,
        flags: u32,
        fmap: Fmap,
    },
}

/// A file or directory.
#[derive(Clone, Debug, Serialize)]
pub struct Node {
    pub ino: Ino,
    #[serde(skip)]
    pub parent: Ino,
    /// Path relative to the root, without a leading `/` ("" for the root).
    pub path: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Log slot that created it (`None` for the root).
    pub log_index: Option<u64>,
    #[serde(flatten)]
    pub kind: NodeKind,
}

impl Node {
    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        matches!(self.kind, NodeKind::Dir { .. })
    }

    /// Last path component ("" for the root).
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }
}

/// Why a node could not be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InsertError {
    /// The path is already taken by the node with this inode.
    Exists(Ino),
    /// The parent directory does not exist.
    NoParent(String),
    /// The parent is a file.
    ParentNotDir(String),
}

/// The tree.
#[derive(Clone, Debug)]
pub struct Namespace {
    nodes: Vec<Node>,
    by_path: HashMap<String, Ino>,
}

impl Default for Namespace {
    fn default() -> Self {
        Self::new()
    }
}

/// Split "a/b/c" into ("a/b", "c"); "c" into ("", "c").
pub fn split_parent(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

impl Namespace {
    /// A tree holding only the root (mode 0755, owned by root).
    pub fn new() -> Self {
        let root = Node {
            ino: ROOT_INO,
            parent: ROOT_INO,
            path: String::new(),
            mode: 0o755,
            uid: 0,
            gid: 0,
            log_index: None,
            kind: NodeKind::Dir {
                children: BTreeMap::new(),
            },
        };
        let mut by_path = HashMap::new();
        by_path.insert(String::new(), ROOT_INO);
        Namespace {
            nodes: vec![root],
            by_path,
        }
    }

    /// Make room for `n` more nodes.
    pub fn reserve(&mut self, n: usize) {
        self.nodes.reserve(n);
        self.by_path.reserve(n);
    }

    /// The node with inode number `ino`.
    pub fn get(&self, ino: Ino) -> Option<&Node> {
        self.nodes.get(usize::try_from(ino.checked_sub(1)?).ok()?)
    }

    /// The node at `path` (relative; leading and trailing `/` ignored).
    pub fn lookup(&self, path: &str) -> Option<&Node> {
        let p = path.trim_matches('/');
        self.get(*self.by_path.get(p)?)
    }

    /// The child `name` of directory `dir` (the FUSE LOOKUP question).
    pub fn lookup_child(&self, dir: Ino, name: &str) -> Option<&Node> {
        match &self.get(dir)?.kind {
            NodeKind::Dir { children } => self.get(*children.get(name)?),
            NodeKind::File { .. } => None,
        }
    }

    /// Children of a directory, by name.
    pub fn children(&self, dir: Ino) -> impl Iterator<Item = &Node> {
        let kids = match self.get(dir).map(|n| &n.kind) {
            Some(NodeKind::Dir { children }) => Some(children),
            _ => None,
        };
        kids.into_iter()
            .flat_map(|c| c.values())
            .filter_map(|&i| self.get(i))
    }

    /// Every node, root first, then in creation (log) order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Every node in path order (depth first, names sorted).
    pub fn walk(&self) -> Vec<&Node> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack = vec![ROOT_INO];
        while let Some(ino) = stack.pop() {
            let Some(n) = self.get(ino) else { continue };
            out.push(n);
            if let NodeKind::Dir { children } = &n.kind {
                stack.extend(children.values().rev());
            }
        }
        out
    }

    /// Number of (files, directories), the root not counted.
    pub fn counts(&self) -> (usize, usize) {
        let dirs = self.nodes.iter().filter(|n| n.is_dir()).count();
        (self.nodes.len() - dirs, dirs - 1)
    }

    /// Add a node at `path` (normalised, relative). Its parent must exist
    /// and be a directory; the path must be free.
    pub fn insert(
        &mut self,
        path: &str,
        mode: u32,
        uid: u32,
        gid: u32,
        log_index: Option<u64>,
        kind: NodeKind,
    ) -> Result<Ino, InsertError> {
        // Two hash lookups per node: the parent, then the path's own slot
        // (replay inserts every entry of the log).
        let (parent_path, name) = split_parent(path);
        let parent = *self
            .by_path
            .get(parent_path)
            .ok_or_else(|| InsertError::NoParent(parent_path.to_owned()))?;
        let ino = self.nodes.len() as Ino + 1;
        let slot = match self.by_path.entry(path.to_owned()) {
            Entry::Occupied(o) => return Err(InsertError::Exists(*o.get())),
            Entry::Vacant(v) => v,
        };
        match self.nodes.get_mut(parent as usize - 1).map(|n| &mut n.kind) {
            Some(NodeKind::Dir { children }) => {
                children.insert(name.to_owned(), ino);
            }
            _ => return Err(InsertError::ParentNotDir(parent_path.to_owned())),
        }
        self.nodes.push(Node {
            ino,
            parent,
            path: slot.key().clone(),
            mode,
            uid,
            gid,
            log_index,
            kind,
        });
        slot.insert(ino);
        Ok(ino)
    }
}

/// Normalise a user-given famfs path: strip leading/trailing `/`, collapse
/// repeated `/`, refuse `.`/`..` components and the empty path.
pub fn normalize_path(path: &str) -> Result<String, String> {
    let mut parts = Vec::new();
    for c in path.split('/') {
        match c {
            "" => continue,
            "." | ".." => return Err(format!("{path:?}: '.' and '..' are not allowed")),
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err(format!("{path:?}: names the root"));
    }
    Ok(parts.join("/"))
}
