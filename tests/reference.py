"""Independent reference: plain full-batch gradient descent in numpy, written from the definitions.

Nothing here uses polylr's engine; tests compare the engine against it.
"""

import numpy as np


def gd_outputs(X, y, W0, Ws, V, eta, steps, lrs, train_all=False):
    """f^(steps)(x_i) after ``steps`` GD steps with learning rate ``eta``; lrs = (in, hidden, out) factors."""
    W0 = np.array(W0, dtype=float)
    Ws = [np.array(W, dtype=float) for W in Ws]
    V = np.array(V, dtype=float)
    m = X.shape[0]
    in_lr, hidden_lr, out_lr = lrs
    for _ in range(steps):
        # forward, storing every layer's features (n x m)
        H = [W0 @ X.T]
        for W in Ws:
            H.append(W @ H[-1])
        f = V @ H[-1]
        chi = f - y
        # backward: delta_l = d loss / d h_l, shape (n, m)
        delta = np.outer(V, chi) / m
        grads = [None] * len(Ws)
        gV = H[-1] @ chi / m
        for l in range(len(Ws) - 1, -1, -1):
            grads[l] = delta @ H[l].T
            delta = Ws[l].T @ delta
        g0 = delta @ X
        for l in range(len(Ws)):
            Ws[l] = Ws[l] - eta * hidden_lr * grads[l]
        if train_all:
            W0 = W0 - eta * in_lr * g0
            V = V - eta * out_lr * gV
    H = W0 @ X.T
    for W in Ws:
        H = W @ H
    return V @ H


def gd_loss(X, y, W0, Ws, V, eta, steps, lrs, train_all=False):
    f = gd_outputs(X, y, W0, Ws, V, eta, steps, lrs, train_all)
    return np.sum((f - y) ** 2) / (2 * len(y))


def feature_update(X, y, W0, Ws, V, eta, lrs):
    """Coordinates of h_L^(1)(x_i) − h_L^(0)(x_i) after one GD step on the hidden layers, shape (n, m)."""
    H0 = W0 @ X.T
    for W in Ws:
        H0 = W @ H0
    f = V @ H0
    chi = f - y
    m = X.shape[0]
    H = [W0 @ X.T]
    for W in Ws:
        H.append(W @ H[-1])
    delta = np.outer(V, chi) / m
    new = [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        new[l] = Ws[l] - eta * lrs[1] * (delta @ H[l].T)
        delta = Ws[l].T @ delta
    H1 = W0 @ X.T
    for W in new:
        H1 = W @ H1
    return H1 - H0
