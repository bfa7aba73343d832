import '@mes-messages/shared/styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from '@mes-messages/shared';
import { App } from './App';
import { SessionProvider } from './session';

createRoot(document.getElementById('app')!).render(
  <StrictMode>
    <RouterProvider>
      <SessionProvider>
        <App />
      </SessionProvider>
    </RouterProvider>
  </StrictMode>,
);
