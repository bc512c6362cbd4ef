// The field page's queue of reports on the phone (IndexedDB): each report kept with its own
// Idempotency-Key and the moment it was tapped until the server has it.

const DB_NAME = "ballot-field";
const STORE = "actions";

let dbPromise = null;
function db() {
  dbPromise ||= new Promise((resolve, reject) => {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  return dbPromise;
}

// Run fn(store) in one transaction; resolves with fn's request result once it is committed.
async function withStore(mode, fn) {
  const conn = await db();
  return new Promise((resolve, reject) => {
    const tx = conn.transaction(STORE, mode);
    const request = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const loadActions = () => withStore("readonly", (s) => s.getAll());
export const getAction = (seq) => withStore("readonly", (s) => s.get(seq));
export const addAction = (action) => withStore("readwrite", (s) => s.add(action));
export const putAction = (action) => withStore("readwrite", (s) => s.put(action));
export const deleteAction = (seq) => withStore("readwrite", (s) => s.delete(seq));
