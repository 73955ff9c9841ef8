/** The handler of every command the parser knows. */
import type { CommandName, CommandOf } from '../protocol/ast.js';
import type { Handler } from '../session/session.js';
import { append } from './append.js';
import { authenticate, login, starttls } from './auth.js';
import { capability, enable, id, logout, namespace, noop } from './basic.js';
import { compress } from './compress.js';
import { copy, move } from './copy.js';
import { expunge } from './expunge.js';
import { fetch } from './fetch.js';
import { idle } from './idle.js';
import { list, lsub } from './list.js';
import { create, del, rename, subscribe, unsubscribe } from './mailboxes.js';
import { search } from './search.js';
import { close, examine, select, unselect } from './select.js';
import { sort, thread } from './sort.js';
import { status } from './status.js';
import { store } from './store.js';

export const HANDLERS: { [N in CommandName]: Handler<CommandOf<N>> } = {
  CAPABILITY: capability,
  NOOP: noop,
  CHECK: noop,
  LOGOUT: logout,
  ID: id,
  NAMESPACE: namespace,
  ENABLE: enable,
  STARTTLS: starttls,
  LOGIN: login,
  AUTHENTICATE: authenticate,
  SELECT: select,
  EXAMINE: examine,
  CLOSE: close,
  UNSELECT: unselect,
  CREATE: create,
  DELETE: del,
  RENAME: rename,
  SUBSCRIBE: subscribe,
  UNSUBSCRIBE: unsubscribe,
  LIST: list,
  LSUB: lsub,
  STATUS: status,
  APPEND: append,
  EXPUNGE: expunge,
  SEARCH: search,
  FETCH: fetch,
  STORE: store,
  COPY: copy,
  MOVE: move,
  SORT: sort,
  THREAD: thread,
  IDLE: idle,
  COMPRESS: compress,
};
