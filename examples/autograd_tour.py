"""A first tour of glassgrad's autograd: the examples of the course notes, run for real.

Run it with ``make demo`` (or ``python examples/autograd_tour.py``).
"""

import glassgrad as gg

print("1. A derivative by autograd: y = x^2 + 3x + 5 at x = 2")
x = gg.tensor(2.0, requires_grad=True)
y = x ** 2 + 3 * x + 5
y.backward()
print(f"   y = {y.item():g}, dy/dx = 2x + 3 = {x.grad.item():g}   (x.grad = {x.grad})\n")

print("2. The chain rule, step by step: f = (x + y) * z at x = -2, y = 5, z = -4")
x = gg.tensor(-2.0, requires_grad=True)
y = gg.tensor(5.0, requires_grad=True)
z = gg.tensor(-4.0, requires_grad=True)
q = x + y
f = q * z
gg.autograd.explain(f, names={"x": x, "y": y, "z": z, "q": q, "f": f})
print()

print("3. The computational graph behind a result (grad_fn.next_functions)")
w = gg.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
b = gg.tensor([0.1, -0.2], requires_grad=True)
inputs = gg.tensor([[1.0, 2.0], [3.0, 4.0]])
loss = (inputs @ w + b).tanh().pow(2).mean()


def show(node, depth=1):
    """Print the backward graph below ``node`` (leaves appear as AccumulateGrad)."""
    label = "AccumulateGrad" if node.name().endswith("AccumulateGrad") else node.name()
    print("   " + "  " * depth + label)
    for child, _ in node.next_functions:
        if child is not None:
            show(child, depth + 1)


show(loss.grad_fn)
print()

print("4. Gradient descent with autograd: fit y = 2x + 1")
gg.manual_seed(0)
xs = gg.linspace(-1, 1, 50).unsqueeze(1)
ys = 2 * xs + 1 + 0.05 * gg.randn(50, 1)
w = gg.zeros(1, requires_grad=True)
b = gg.zeros(1, requires_grad=True)
for step in range(201):
    loss = ((xs * w + b - ys) ** 2).mean()
    loss.backward()
    with gg.no_grad():
        w -= 0.1 * w.grad
        b -= 0.1 * b.grad
        w.grad.zero_()
        b.grad.zero_()
    if step % 50 == 0:
        print(f"   step {step:3d}: loss = {loss.item():.5f}, "
              f"w = {w.item():.4f}, b = {b.item():.4f}")

print("\n5. Second derivatives: d2/dx2 of x^3 at x = 3 is 6x = 18")
x = gg.tensor(3.0, requires_grad=True)
(dy_dx,) = gg.autograd.grad(x ** 3, x, create_graph=True)
(d2y_dx2,) = gg.autograd.grad(dy_dx, x)
print(f"   dy/dx = {dy_dx.item():g}, d2y/dx2 = {d2y_dx2.item():g}")
