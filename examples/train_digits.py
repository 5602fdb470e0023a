"""The Trainer in ten lines: an MLP on scikit-learn's digits, with early stopping."""

from sklearn.datasets import load_digits

import glassgrad as gg
from glassgrad import nn
from glassgrad.train import EarlyStopping, Trainer
from glassgrad.utils.data import DataLoader, TensorDataset, random_split

X, y = load_digits(return_X_y=True)
data = TensorDataset(gg.tensor(X / 16, dtype=gg.float32), gg.tensor(y))
train, val = random_split(data, [1500, 297], generator=gg.Generator().manual_seed(0))
model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
trainer = Trainer(max_epochs=30, callbacks=[EarlyStopping("val_loss", patience=5)])
history = trainer.fit(model, DataLoader(train, batch_size=64, shuffle=True),
                      DataLoader(val, batch_size=256), loss_fn=nn.CrossEntropyLoss(),
                      metrics=["accuracy"])
print(trainer.validate(model, DataLoader(val, batch_size=256)))
