"""Minibatches served by index from arrays already on their device (framework-free: any array type)."""

import math


class BatchLoader:
    """(X, y) batches in order, or reshuffled each epoch by `permute(n)`; `resize` maps each X batch."""

    def __init__(self, X, y, batch_size, permute=None, resize=None):
        self.X, self.y, self.batch_size, self.permute, self.resize = X, y, batch_size, permute, resize

    def __len__(self):
        return math.ceil(len(self.y) / self.batch_size)

    def __iter__(self):
        n = len(self.y)
        order = self.permute(n) if self.permute else None
        for start in range(0, n, self.batch_size):
            if order is None:
                X, y = self.X[start : start + self.batch_size], self.y[start : start + self.batch_size]
            else:
                idx = order[start : start + self.batch_size]
                X, y = self.X[idx], self.y[idx]
            yield (self.resize(X) if self.resize else X), y
